# Two stages on the official Odoo 19 image (Ubuntu noble, Odoo installed from its .deb, python3-pip,
# curl and ca-certificates already there):
#   product  what `docker compose up` runs: Odoo 19 plus our Python packages, nothing else.
#   test     what `docker compose run --rm test` runs: the product plus the test requirements and
#            Google Chrome for the phone-size payment-page test. Ubuntu ships Chromium only as a
#            snap, which cannot run in an image build; Odoo's own test runners use Google's
#            google-chrome-stable .deb, and so do we (amd64: Google publishes no arm64 build, and
#            on arm64 Odoo skips that one test).
FROM odoo:19.0 AS product
USER root
COPY requirements.txt /tmp/arrears/
RUN pip3 install --no-cache-dir --break-system-packages -r /tmp/arrears/requirements.txt
USER odoo

FROM product AS test
USER root
COPY requirements-test.txt /tmp/arrears/
RUN pip3 install --no-cache-dir --break-system-packages -r /tmp/arrears/requirements-test.txt
ARG TARGETARCH
RUN if [ "${TARGETARCH:-$(dpkg --print-architecture)}" = "amd64" ]; then \
        curl -fsSL -o /tmp/chrome.deb https://dl.google.com/linux/direct/google-chrome-stable_current_amd64.deb \
        && apt-get update \
        && apt-get install -y --no-install-recommends /tmp/chrome.deb \
        && rm -rf /var/lib/apt/lists/* /tmp/chrome.deb; \
    fi
USER odoo
