"""Driving the console over HTTP as a browser would (forms, cookies, CSRF tokens), for
tests that set up people quickly or check what a page answers."""

import re

import requests

PASSWORD = "Shanxi-2017-base"  # what every test person chooses at their first sign-in
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleClient:
    """One person's browser session with the console."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.http = requests.Session()
        self.csrf = ""

    def get(self, path: str, **kwargs) -> requests.Response:
        response = self.http.get(self.base + path, timeout=30, **kwargs)
        found = _TOKEN.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict | None = None, csrf: str | None = None, **kwargs) -> requests.Response:
        body = {"csrf_token": self.csrf if csrf is None else csrf, **(data or {})}
        return self.http.post(self.base + path, data=body, timeout=30, **kwargs)

    def sign_in(self, username: str, password: str) -> requests.Response:
        self.get("/sign-in")
        response = self.post("/sign-in", {"username": username, "password": password})
        self.get("/todo")
        return response

    def first_sign_in(self, username: str, one_time: str, password: str = PASSWORD) -> None:
        """Signs in with a one-time password and chooses ``password``."""
        self.sign_in(username, one_time)
        self.get("/password")
        answer = self.post("/password", {"current_password": one_time, "new_password": password,
                                         "repeat_password": password})
        assert answer.url.endswith("/todo?done=password"), answer.text[-2000:]

    def add_account(self, **fields) -> tuple[str, str]:
        """As an administrator: (account id, one-time password) of a new account."""
        self.get("/accounts/new")
        answer = self.post("/accounts", fields)
        assert answer.status_code == 201, answer.text[-3000:]
        password = re.search(r'id="one-time-password">([^<]+)<', answer.text).group(1)
        account_id = re.search(r'href="/accounts/([0-9a-f-]{36})"', answer.text).group(1)
        return account_id, password
