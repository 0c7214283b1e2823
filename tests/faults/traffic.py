"""Inbound traffic as Twilio sends it to a Stack: signed posts from many senders at once.

Each post is remembered with its MessageSid and the status the webhook gave, so a test can tell
what was accepted (200) from what Twilio would have to retry, and retry it with the same sid.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class Post:
    sender: str
    text: str
    sid: str
    status: int
    body: str  # what the webhook answered, for checking that a refusal gives nothing away


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def post(stack, sender: str, text: str, sid: str | None = None) -> Post:
    sid = sid or new_sid()
    response = stack.post(text, sender=sender, sid=sid)
    return Post(sender, text, sid, response.status_code, response.text)


def conversations(
    stack,
    senders: Sequence[str],
    texts: Sequence[str],
    *,
    on_progress: Callable[[int], None] = lambda done: None,
    pause: float = 0.05,
) -> list[Post]:
    """Each sender texts ``texts`` one after the other, all senders at once; every post, in order."""
    posts: list[Post] = []
    lock = threading.Lock()

    def converse(sender: str) -> None:
        for text in texts:
            done = post(stack, sender, text)
            with lock:
                posts.append(done)
                on_progress(len(posts))
            time.sleep(pause)

    with ThreadPoolExecutor(len(senders)) as pool:
        list(pool.map(converse, senders))
    return posts


def at_once(stack, messages: Sequence[tuple[str, str]], threads: int = 16) -> list[Post]:
    """Post every (sender, text) concurrently, as Twilio does when many messages arrive together."""
    go = threading.Event()

    def send(message: tuple[str, str]) -> Post:
        go.wait(10)  # the first posts leave together, not one by one as the pool warms up
        return post(stack, *message)

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(send, message) for message in messages]
        go.set()
        return [future.result() for future in futures]


def accepted(posts: Sequence[Post]) -> set[str]:
    return {p.sid for p in posts if p.status == 200}
