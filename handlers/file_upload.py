"""A file sent to a person's direct message through Slack's external upload:
`conversations.open`, `files.getUploadURLExternal`, the bytes POSTed to the URL it returns
(only if that is Slack's, handlers/webhook.py), then `files.completeUploadExternal`."""
from __future__ import annotations

import urllib.error
import urllib.request

from slack_sdk import WebClient

from handlers.slack_client import CallFailure, SlackCallFailed, call
from handlers.webhook import is_upload_url

UPLOAD_TIMEOUT_SECONDS = 120.0  # a 100,000-order file is some tens of megabytes


def send_file_to_dm(client: WebClient, user_id: str, filename: str, content: bytes, *,
                    title: str, comment: str) -> str:
    """Share content as filename in the bot's direct message with user_id; the file's id.
    SlackCallFailed when a call or the upload fails, or the upload URL is not Slack's."""
    opened = call("conversations.open", client.conversations_open, users=user_id)
    channel = str(opened["channel"]["id"])
    reserved = call("files.getUploadURLExternal", client.files_getUploadURLExternal,
                    filename=filename, length=len(content))
    url, file_id = str(reserved["upload_url"]), str(reserved["file_id"])
    if not is_upload_url(url):
        raise SlackCallFailed(CallFailure(f"upload URL not on Slack's host, nothing sent: "
                                          f"{url[:100]!r}", transient=False))
    upload(url, content)
    call("files.completeUploadExternal", client.files_completeUploadExternal,
         files=[{"id": file_id, "title": title}], channel_id=channel, initial_comment=comment)
    return file_id


def upload(url: str, content: bytes) -> None:
    """POST the bytes to the upload URL (no token: the URL is the permission)."""
    request = urllib.request.Request(url, data=content, method="POST",
                                     headers={"Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT_SECONDS) as answer:
            answer.read()
    except urllib.error.HTTPError as error:
        raise SlackCallFailed(CallFailure(f"file upload: HTTP {error.code}",
                                          transient=error.code >= 500)) from error
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise SlackCallFailed(CallFailure(f"file upload: {type(error).__name__}: {error}")) \
            from error
