"""The terminal console: a stand-in for Slack inside the process, and the loop that drives it."""
