import base64
import logging
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser, get_db_name
from odoo.tools import config

from .common import PlanCommon

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestLinkOnAPhone(PlanCommon, HttpCase):
    """The payment link page in a real headless Chromium at a phone's screen size."""

    browser_size = "390,844"  # a common phone, in CSS pixels
    touch_enabled = True

    def test_ask_for_a_plan_on_a_phone(self):
        # The script reads the page as the payer sees it, opens the plan choice, picks two
        # instalments and sends the form; the answer page replaces the document, so the
        # screenshot taken after shows the confirmation at phone size.
        code = """
            (async () => {
                const fail = (message) => console.error(message);
                if (document.documentElement.scrollWidth > window.innerWidth + 1) {
                    return fail("the page is wider than the phone: " + document.documentElement.scrollWidth);
                }
                const pay = document.querySelector("#arrears_pay_now");
                if (!pay || !pay.textContent.includes("550.00")) {
                    return fail("no pay button with the amount due");
                }
                const details = document.querySelector("#arrears_ask_plan");
                details.querySelector("summary").click();
                if (!details.open) {
                    return fail("the plan choice does not open");
                }
                const form = details.querySelector("form");
                form.querySelector("select[name=instalments]").value = "2";
                const response = await fetch(form.action, {method: "POST", body: new FormData(form)});
                const html = await response.text();
                document.open();
                document.write(html);
                document.close();
                if (!document.querySelector("#arrears_request_granted")) {
                    return fail("no confirmation on the answer page");
                }
                if (!document.querySelector("#arrears_plan_schedule")) {
                    return fail("no schedule on the answer page");
                }
                console.log("test successful");
            })();
        """
        shots = []
        wait_code_ok = ChromeBrowser._wait_code_ok

        def wait_then_shoot(browser, *args, **kwargs):
            result = wait_code_ok(browser, *args, **kwargs)
            shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"})
            shots.append(base64.b64decode(shot["data"]))
            return result

        with patch.object(ChromeBrowser, "_wait_code_ok", wait_then_shoot):
            self.browser_js(f"/arrears/pay/{self.link.token}", code, ready="document.readyState === 'complete'")
        self.assertEqual(len(shots), 1)
        self.assertTrue(shots[0].startswith(b"\x89PNG"), "a screenshot of the page at phone size")
        path = Path(config["screenshots"]) / get_db_name() / "arrears_link_phone.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(shots[0])
        _logger.info("Payment link page at phone size: %s", path)
        request = self.case.plan_request_ids
        self.assertEqual((request.kind, request.instalment_count, request.state), ("plan", 2, "granted"))
