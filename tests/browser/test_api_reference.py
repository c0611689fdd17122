"""The API reference page (/api) in chromium: Swagger UI renders each service's
document under the console's content security policy, with nothing refused by it."""

from playwright.sync_api import expect

from tests.browser.conftest import shot


def test_the_reference_page_shows_each_services_operations(new_page):
    page = new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: refused.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    page.goto("/api")
    expect(page.get_by_role("heading", name="registry API")).to_be_visible(timeout=30000)
    expect(page.get_by_role("link", name="/bases/{base_id}/plan/approvals", exact=True)).to_be_visible()
    shot(page, "api-reference-registry")
    page.locator("select#select").select_option(label="funding 资金支持")
    expect(page.get_by_role("heading", name="funding API")).to_be_visible(timeout=30000)
    expect(page.get_by_role("link", name="/allocations/{allocation_id}/recoveries", exact=True)).to_be_visible()
    assert not refused, refused
