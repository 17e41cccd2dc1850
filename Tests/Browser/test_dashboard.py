"""The dashboard and the ask page in headless Chromium, against the real API, worker, Valkey and
the fakes (conftest.py)."""

import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from stack import OPERATOR_KEY, TENANT_KEY, call, sign_in


def console_errors(browser) -> list:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def shown(browser, selector: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, selector).text


def test_without_an_operator_key_the_dashboard_is_401_and_a_tenant_key_is_403(stack):
    assert call(stack.url, "/ui/")[0] == 401
    assert call(stack.url, "/ui/", key=TENANT_KEY)[0] == 403


def test_the_dashboard_loads_without_console_errors_and_its_numbers_are_the_stats(stack, browser):
    for number in range(3):
        assert call(stack.url, "/v1/queries", key=TENANT_KEY, method="POST", body={"query": f"Who takes a dead worker's job? {number}"})[0] == 202
    sign_in(browser, OPERATOR_KEY)
    browser.get(stack.url + "/ui/")
    WebDriverWait(browser, 20).until(lambda b: b.find_element(By.ID, "updated").text.startswith("updated"))
    assert console_errors(browser) == []
    # Jobs finish meanwhile: compare once the queue is still, and the page has refreshed since.
    WebDriverWait(browser, 30).until(lambda b: call(stack.url, "/v1/stats", key=OPERATOR_KEY)[1]["waiting"] == 0
                                     and call(stack.url, "/v1/stats", key=OPERATOR_KEY)[1]["active"] == 0)
    stats = call(stack.url, "/v1/stats", key=OPERATOR_KEY)[1]
    names = ["waiting", "active", "scheduled", "failed", "live_workers"]
    expected = {name: str(stats[name]) for name in names} | {"finished": str(stats["counters"]["finished"])}

    def page_numbers(b) -> dict:
        numbers = {name: shown(b, f'[data-stat="{name}"]') for name in names}
        return numbers | {"finished": shown(b, '[data-counter="finished"]')}

    # The page refreshes itself every 2 s: within a few refreshes it shows the still queue's numbers.
    try:
        WebDriverWait(browser, 10).until(lambda b: page_numbers(b) == expected)
    except Exception:
        assert page_numbers(browser) == expected
    assert browser.find_elements(By.CSS_SELECTOR, '[data-tenant="acme"]')


def test_a_question_asked_on_the_ask_page_streams_its_answer_into_the_page(stack, browser):
    sign_in(browser, TENANT_KEY)
    browser.get(stack.url + "/ui/ask")
    browser.find_element(By.NAME, "query").send_keys("What happens when a worker dies?")
    browser.find_element(By.CSS_SELECTOR, "form#ask button[type=submit]").click()
    seen: list[str] = []

    def finished(b) -> bool:
        text = shown(b, "#answer")
        if text and (not seen or seen[-1] != text):
            seen.append(text)
        return shown(b, "#job-status") == "finished"

    WebDriverWait(browser, 30, poll_frequency=0.02).until(finished)
    answer = shown(browser, "#answer")
    assert "What happens when a worker dies?" in answer
    assert len(seen) >= 2, f"the answer should grow token by token, saw {seen}"
    assert all(answer.startswith(part) for part in seen)
    sources = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#sources li")]
    assert any("guide.txt, page 2" in source for source in sources), sources
    link = browser.find_element(By.ID, "job-link")
    assert link.get_attribute("href").endswith("/ui/jobs/" + link.text)
    assert console_errors(browser) == []


def test_a_question_with_a_script_is_shown_as_text_and_does_not_run(stack, browser):
    hostile = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    status, reply = call(stack.url, "/v1/queries", key=TENANT_KEY, method="POST", body={"query": hostile})
    assert status == 202
    sign_in(browser, OPERATOR_KEY)
    browser.get(stack.url + "/ui/jobs/" + reply["id"])
    assert shown(browser, '[data-field="question"]') == hostile
    time.sleep(0.2)  # an onerror handler would run once the image failed; nothing to wait on when it cannot
    assert browser.execute_script("return window.pwned === undefined")


def test_cancel_from_the_job_page_cancels_the_query(stack, browser):
    # The fake model echoes the question, 30 ms a token: a 200-word question keeps its job
    # streaming for seconds, so it is waiting or running when the button is pressed.
    status, reply = call(stack.url, "/v1/queries", key=TENANT_KEY, method="POST", body={"query": "Cancel me " + "please " * 200})
    assert status == 202
    sign_in(browser, OPERATOR_KEY)
    browser.get(stack.url + "/ui/jobs/" + reply["id"])
    browser.find_element(By.CSS_SELECTOR, "form[action$='/cancel'] button").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/ui/jobs/" + reply["id"]))
    WebDriverWait(browser, 30).until(lambda b: call(stack.url, "/v1/queries/" + reply["id"], key=TENANT_KEY)[1]["status"] == "canceled")
    browser.refresh()
    assert shown(browser, '[data-field="status"]') == "canceled"
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action$='/cancel']"), "an ended query has nothing to cancel"


def test_retry_from_the_job_page_runs_a_failed_query_again(stack, browser):
    # The tenant asks a collection nobody ingested yet: the query fails for good.
    status, reply = call(stack.url, "/v1/queries", key=TENANT_KEY, method="POST",
                         body={"query": "What protects running jobs?", "collection": "acme-later"})
    assert status == 202
    path = "/v1/queries/" + reply["id"]
    WebDriverWait(browser, 30).until(lambda b: call(stack.url, path, key=TENANT_KEY)[1]["status"] == "failed")
    assert call(stack.url, path, key=TENANT_KEY)[1]["error"]["code"] == "collection_not_found"
    # The operator ingests it, then retries the query from its page.
    stack.ingest("acme-later")
    sign_in(browser, OPERATOR_KEY)
    browser.get(stack.url + "/ui/jobs/" + reply["id"])
    assert shown(browser, '[data-field="status"]') == "failed"
    browser.find_element(By.CSS_SELECTOR, "form[action$='/retry'] button").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/ui/jobs/" + reply["id"]))
    WebDriverWait(browser, 30).until(lambda b: call(stack.url, path, key=TENANT_KEY)[1]["status"] == "finished")
    browser.refresh()
    assert shown(browser, '[data-field="status"]') == "finished"
    assert "What protects running jobs?" in shown(browser, '[data-field="answer"]')
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action$='/retry']"), "a finished query has nothing to retry"
    assert console_errors(browser) == []
