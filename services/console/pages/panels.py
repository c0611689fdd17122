"""A panel of a page filled from one service's answer, or saying why it is empty: a
service that does not answer, or does not show this person, costs its panel only."""

from dataclasses import dataclass, field

from ..api import ApiError


@dataclass
class Panel:
    """One service's part of a page: its answer, or why there is none."""

    data: dict = field(default_factory=dict)
    error: str = ""
    service_word: str = ""  # the service that refused or did not answer


def read(fetch) -> Panel:
    try:
        return Panel(fetch())
    except ApiError as error:
        return Panel(error=refusal_text(error), service_word=error.service_word)


def refusal_text(error: ApiError) -> str:
    """A person's sentence for a service's refusal: a 403 is the service's rule about
    this role, not a fault; anything else says the service did not answer."""
    if error.status == 403:
        return f"“{error.service_word}”不向您的角色显示这部分内容。"
    return f"暂时无法从“{error.service_word}”取得数据：{error.message}"
