# Odoo 19 with the Python packages our addons and their tests need, and Chromium for the
# test that opens a payment link at a phone's screen size.
FROM odoo:19.0
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-pip chromium \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt requirements-test.txt /tmp/arrears/
RUN pip3 install --no-cache-dir --break-system-packages \
        -r /tmp/arrears/requirements.txt -r /tmp/arrears/requirements-test.txt
USER odoo
