#!/usr/bin/env python3
"""The sticky reckon note on a GitLab merge request: one note, replaced on every pipeline.

    mr-note.py plan   PLAN.md     the markdown plan
    mr-note.py failed PLAN.err    "reckon plan failed" with the error, so the previous plan does
                                  not stay on the merge request looking current

Uses GitLab's REST API (Notes API: GET/POST/PUT /projects/:id/merge_requests/:iid/notes) with
RECKON_GITLAB_TOKEN (a project access token, role Reporter, scope api) and the predefined
CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, CI_JOB_URL, CI_COMMIT_SHORT_SHA. Standard
library only, so it runs in reckon's keeper image as is.
"""

import json
import os
import sys
import urllib.request

MARKER = "<!-- reckon-plan -->"
# GitLab refuses notes over 1,000,000 characters; reckon's markdown stays far below that.
MAX_ERROR_CHARS = 50_000


def api(method, path, body=None):
    request = urllib.request.Request(
        os.environ["CI_API_V4_URL"] + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "PRIVATE-TOKEN": os.environ["RECKON_GITLAB_TOKEN"],
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def body(mode, text):
    if mode == "plan":
        return f"{MARKER}\n{text}"
    return (
        f"{MARKER}\n### reckon plan failed\n\n"
        f"No plan for this commit ({os.environ.get('CI_COMMIT_SHORT_SHA', '?')}); the error:\n\n"
        f"```text\n{text[-MAX_ERROR_CHARS:]}\n```\n\n[Job log]({os.environ.get('CI_JOB_URL', '')})\n"
    )


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if not os.environ.get("RECKON_GITLAB_TOKEN"):
        print("RECKON_GITLAB_TOKEN is not set: no merge request note (the plan is in the job log)")
        return
    with open(path, encoding="utf-8", errors="replace") as file:
        note = body(mode, file.read())
    notes = f"/projects/{os.environ['CI_PROJECT_ID']}/merge_requests/{os.environ['CI_MERGE_REQUEST_IID']}/notes"
    ours = [n for n in api("GET", notes + "?per_page=100&sort=asc") if n["body"].startswith(MARKER)]
    if ours:
        api("PUT", f"{notes}/{ours[0]['id']}", {"body": note})
    else:
        api("POST", notes, {"body": note})


if __name__ == "__main__":
    main()
