"""Sign-in for `qa serve --auth`: the credentials check, slowed down after failed attempts.

After `FREE_FAILURES` wrong passwords within `WINDOW_S`, every attempt (the right one too) is
refused until `LOCKOUT_S` have passed since the last failure, so guessing runs at a few
passwords a minute instead of hundreds a second. Gradio passes no client address to the
check, so the count is per server, not per client: a flood of wrong passwords also keeps the
real user out for `LOCKOUT_S`, which is the price of having no address to tell them apart.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable

FREE_FAILURES = 5
WINDOW_S = 60.0
LOCKOUT_S = 30.0


class LoginGuard:
    """A callable `(user, password) -> bool` for Gradio's `auth`, with back-off after failures."""

    def __init__(self, credentials: list[tuple[str, str]], clock: Callable[[], float] = time.monotonic):
        if not credentials:
            raise ValueError("LoginGuard needs at least one user:password pair")
        self.credentials = list(credentials)
        self.clock = clock
        self._failures: list[float] = []
        self._lock = threading.Lock()

    def locked(self) -> bool:
        now = self.clock()
        with self._lock:
            self._failures = [t for t in self._failures if now - t < WINDOW_S]
            return len(self._failures) >= FREE_FAILURES and now - self._failures[-1] < LOCKOUT_S

    def __call__(self, user: str, password: str) -> bool:
        if self.locked():
            self._fail()
            return False
        good = any(hmac.compare_digest(str(user).encode(), u.encode()) & hmac.compare_digest(str(password).encode(), p.encode())
                   for u, p in self.credentials)
        if not good:
            self._fail()
        return good

    def _fail(self) -> None:
        with self._lock:
            self._failures.append(self.clock())
