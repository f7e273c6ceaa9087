"""Pure Block Kit renderers: text plus blocks, inside Slack's documented limits."""
