/// The kiosk page: one HTML file, its style and its script, served by the daemon (no CDN: a depot may be
/// offline). The script draws `KioskState`s from `/events` (Server-Sent Events; the browser reconnects by
/// itself) and posts the rep's actions to `/actions/…`. Text is set with `textContent` only: names on invoices
/// come from outside and are never parsed as HTML.
enum Page {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>FieldPay</title>
        <link rel="stylesheet" href="/kiosk.css">
        <script src="/kiosk.js" defer></script>
        </head>
        <body>
        <header id="status" role="status" aria-live="polite">
          <span id="device"></span>
          <span id="camera" class="line"></span>
          <span id="hub" class="line"></span>
          <span id="link" class="line bad" hidden></span>
        </header>
        <main id="main" tabindex="-1">
          <section id="idle" class="screen">
            <h1 data-label="scan"></h1>
            <p class="hint" data-label="scanHint"></p>
          </section>

          <section id="invoice" class="screen" hidden>
            <div class="details">
              <p class="customer" id="customer"></p>
              <dl>
                <dt data-label="invoiceNo"></dt><dd id="number"></dd>
                <dt data-label="due"></dt><dd id="dueDate"></dd>
                <dt data-label="overdue"></dt><dd id="overdue"></dd>
              </dl>
              <p class="label" data-label="outstanding"></p>
              <p class="amount" id="outstanding"></p>
              <p id="message" class="message" role="alert" hidden></p>
            </div>
            <div class="pay" id="pay">
              <div id="qrBox">
                <div id="qr" class="qr" role="img"></div>
                <p class="qrAmount" id="qrAmount"></p>
                <p id="countdown" class="countdown"></p>
              </div>
              <p id="qrRefused" class="refused" hidden></p>
              <p id="recording" class="recording" hidden data-label="recording"></p>
            </div>
            <nav class="actions" id="actions" aria-label="Payment">
              <button id="btnCash" data-action="cash" data-key="c"><u>C</u>ash</button>
              <button id="btnCheque" data-action="cheque" data-key="q">Che<u>q</u>ue</button>
              <button id="btnUtr" data-action="utr" data-key="u"><u>U</u>PI reference</button>
              <button id="btnAmount" data-action="amount" data-key="p"><u>P</u>art amount</button>
              <button id="btnCancel" data-action="cancel" data-key="Escape" class="secondary">Cancel (Esc)</button>
            </nav>
            <form id="form" class="form" hidden>
              <h2 id="formTitle"></h2>
              <div id="fields"></div>
              <p id="formError" class="message" role="alert" hidden></p>
              <button type="submit" id="formSubmit">Record</button>
              <button type="button" id="formClose" class="secondary">Back (Esc)</button>
            </form>
          </section>

          <section id="paid" class="screen" hidden>
            <h1 class="ok" data-label="paid"></h1>
            <p class="amount" id="paidAmount"></p>
            <p id="paidWhat"></p>
            <div id="receiptQR" class="qr small" role="img" aria-label="Receipt verification QR"></div>
            <p id="receiptNumber" class="receipt"></p>
          </section>

          <section id="closed" class="screen" hidden>
            <h1 id="closedTitle"></h1>
            <p id="closedDetail" class="hint"></p>
          </section>

          <section id="notice" class="screen" hidden>
            <h1 id="noticeTitle" class="warn"></h1>
            <p id="noticeDetail" class="hint"></p>
          </section>
        </main>
        </body>
        </html>
        """

    static let css = """
        :root { --bg: #ffffff; --fg: #111111; --muted: #3d3d3d; --ok: #0a6b2c; --bad: #a40e0e; --warn: #8a4b00; --accent: #0b3d91; }
        * { box-sizing: border-box; }
        html, body { margin: 0; height: 100%; background: var(--bg); color: var(--fg); font-family: "DejaVu Sans", "Noto Sans", "Noto Sans Devanagari", sans-serif; }
        header { display: flex; gap: 2rem; align-items: center; padding: .6rem 1.2rem; background: #f1f1f1; border-bottom: 2px solid #cccccc; font-size: 1.1rem; }
        header #device { font-weight: bold; }
        .line::before { content: "\\25CF  "; }
        .line.ok::before { color: var(--ok); }
        .line.bad { color: var(--bad); font-weight: bold; }
        main { padding: 1rem 2rem; outline: none; }
        .screen h1 { font-size: 3.2rem; margin: 2rem 0 1rem; }
        .hint { font-size: 1.6rem; color: var(--muted); }
        #idle { text-align: center; padding-top: 12vh; }
        #invoice { display: grid; grid-template-columns: 1fr auto; gap: .6rem 3rem; }
        #invoice[hidden], .screen[hidden], [hidden] { display: none !important; }
        .customer { font-size: 2.4rem; font-weight: bold; margin: .2rem 0 .6rem; }
        dl { display: grid; grid-template-columns: auto 1fr; gap: .3rem 1.2rem; font-size: 1.5rem; margin: 0 0 .8rem; }
        dt { color: var(--muted); }
        dd { margin: 0; font-weight: bold; }
        .label { font-size: 1.4rem; color: var(--muted); margin: 0; }
        .amount { font-size: 3.6rem; font-weight: bold; margin: .1rem 0 .6rem; }
        .overdue { color: var(--bad); }
        .qr svg { width: max(300px, min(55vh, 40vw)); height: auto; display: block; border: 1px solid #999999; }
        .qr.small svg { width: min(30vh, 25vw); margin: 0 auto; }
        .qrAmount { font-size: 1.6rem; text-align: center; margin: .4rem 0 .1rem; font-weight: bold; }
        .countdown { font-size: 1.4rem; text-align: center; color: var(--muted); margin: 0; }
        .countdown.soon { color: var(--bad); font-weight: bold; }
        .refused, .recording { font-size: 1.6rem; max-width: 32rem; }
        .refused { color: var(--warn); }
        .message { color: var(--bad); font-size: 1.4rem; font-weight: bold; }
        .actions { grid-column: 1 / -1; display: flex; gap: 1rem; flex-wrap: wrap; }
        button { font: inherit; font-size: 1.5rem; padding: .8rem 1.6rem; border-radius: .4rem; border: 2px solid var(--accent); background: var(--accent); color: #ffffff; cursor: pointer; }
        button.secondary { background: #ffffff; color: var(--accent); }
        button:focus-visible, input:focus-visible { outline: 4px solid #f2b400; outline-offset: 2px; }
        button:disabled { opacity: .45; }
        .form { grid-column: 1 / -1; border: 2px solid var(--accent); border-radius: .4rem; padding: 1rem 1.4rem; max-width: 44rem; }
        .form label { display: block; font-size: 1.3rem; margin: .6rem 0 .2rem; }
        .form input { font: inherit; font-size: 1.5rem; padding: .4rem .6rem; width: 100%; border: 2px solid #555555; border-radius: .3rem; }
        #paid, #closed, #notice { text-align: center; padding-top: 6vh; }
        .ok { color: var(--ok); }
        .warn { color: var(--warn); }
        .receipt { font-size: 1.6rem; }
        [lang="hi"] { display: block; font-size: .75em; color: var(--muted); }
        h1 [lang="hi"] { font-size: .55em; }
        """

    static let javascript = """
        "use strict";
        // Labels: English, and Hindi when the profile asks for it (shown under the English).
        const LABELS = {
          scan: ["Scan an invoice", "चालान स्कैन करें"],
          scanHint: ["Hold the invoice's barcode or QR code in front of the camera.", "चालान का बारकोड या QR कोड कैमरे के सामने रखें।"],
          invoiceNo: ["Invoice", "चालान"],
          due: ["Due", "देय तिथि"],
          overdue: ["Overdue", "अतिदेय"],
          outstanding: ["Amount due", "बकाया राशि"],
          recording: ["Recording the payment…", "भुगतान दर्ज हो रहा है…"],
          paid: ["Paid", "भुगतान हो गया"],
          scanToPay: ["Scan to pay with any UPI app", "किसी भी UPI ऐप से स्कैन करके भुगतान करें"],
          cancelled: ["Cancelled", "रद्द किया गया"],
          expired: ["QR expired", "QR की समय सीमा समाप्त"],
          cash: ["Cash received", "नकद प्राप्त"],
          cheque: ["Cheque received", "चेक प्राप्त"],
          utr: ["UPI reference (UTR) from the payer's app", "भुगतानकर्ता के ऐप से UPI संदर्भ (UTR)"],
          amount: ["Part amount: a new QR for", "आंशिक राशि"],
        };
        let state = null;
        let hindi = false;
        const $ = (id) => document.getElementById(id);

        function label(element, key) {
          const [en, hi] = LABELS[key];
          element.textContent = en;
          if (hindi) {
            const span = document.createElement("span");
            span.lang = "hi";
            span.textContent = hi;
            element.appendChild(span);
          }
        }

        function show(id) {
          for (const section of document.querySelectorAll(".screen")) section.hidden = section.id !== id;
        }

        function line(element, status) {
          element.textContent = status.text;
          element.className = "line " + (status.ok ? "ok" : "bad");
        }

        function render(next) {
          const screenChanged = !state || state.screen !== next.screen || (state.invoice || {}).number !== (next.invoice || {}).number;
          state = next;
          state.skew = Date.now() - next.nowMillis;
          if (hindi !== next.hindi) { hindi = next.hindi; }
          for (const element of document.querySelectorAll("[data-label]")) label(element, element.dataset.label);
          $("device").textContent = next.deviceName;
          line($("camera"), next.camera);
          line($("hub"), next.hub);
          document.body.dataset.screen = next.screen;
          const invoiceScreens = ["invoice", "awaiting", "recording"];
          if (invoiceScreens.includes(next.screen)) {
            show("invoice");
            const card = next.invoice;
            $("customer").textContent = card.customerName;
            $("number").textContent = card.number;
            $("dueDate").textContent = card.dueDate;
            $("overdue").textContent = card.daysOverdue > 0 ? card.daysOverdue + (card.daysOverdue === 1 ? " day" : " days") : "Not overdue";
            $("overdue").className = card.daysOverdue > 0 ? "overdue" : "";
            $("outstanding").textContent = card.outstandingDisplay;
            $("message").hidden = !next.message;
            $("message").textContent = next.message || "";
            $("qrBox").hidden = next.screen !== "awaiting";
            if (next.qr) {
              $("qr").innerHTML = next.qr.svg;  // made by the daemon from the UPI text: only <rect> and <path>
              $("qr").setAttribute("aria-label", "UPI QR for " + next.qr.amountDisplay);
              $("qr").dataset.uri = next.qr.uri;
              label($("qrAmount"), "scanToPay");
              $("qrAmount").prepend(document.createTextNode(next.qr.amountDisplay + " — "));
            }
            $("qrRefused").hidden = next.screen !== "invoice";
            $("qrRefused").textContent = next.qrRefused ? "No UPI QR: " + next.qrRefused + "." : "";
            $("recording").hidden = next.screen !== "recording";
            for (const button of document.querySelectorAll("#actions button")) button.disabled = next.screen === "recording";
            $("btnUtr").disabled = next.screen !== "awaiting";
            if (screenChanged) { closeForm(); $("main").focus(); }
            tick();
          } else {
            closeForm();
            if (next.screen === "paid") {
              show("paid");
              const paid = next.paid;
              $("paidAmount").textContent = paid.amountDisplay;
              $("paidWhat").textContent = paid.method.toUpperCase() + " for invoice " + paid.invoice;
              $("receiptQR").innerHTML = paid.receiptSVG;  // made by the daemon: only <rect> and <path>
              $("receiptQR").dataset.text = paid.receiptText;
              $("receiptNumber").textContent = "Receipt " + paid.receiptNumber + " — scan to verify";
            } else if (next.screen === "cancelled" || next.screen === "expired") {
              show("closed");
              label($("closedTitle"), next.screen);
              $("closedDetail").textContent = next.screen === "expired"
                ? "The QR for " + next.invoice.number + " is no longer offered. Scan the invoice again for a new one."
                : "Nothing was recorded for " + next.invoice.number + ".";
            } else if (next.screen === "notice") {
              show("notice");
              $("noticeTitle").textContent = next.notice.title;
              $("noticeDetail").textContent = next.notice.detail;
            } else {
              show("idle");
            }
          }
        }

        // The QR's countdown, by the daemon's clock.
        function tick() {
          if (!state || state.screen !== "awaiting" || !state.qr) return;
          const left = Math.max(0, Math.round((state.qr.expiresAtMillis - (Date.now() - state.skew)) / 1000));
          const text = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
          $("countdown").textContent = "QR valid for " + text;
          $("countdown").className = "countdown" + (left <= 30 ? " soon" : "");
        }
        setInterval(tick, 500);

        // The rep's forms.
        const FORMS = {
          cash: { title: "cash", fields: [["amount", "Amount received (₹)", "decimal"]] },
          cheque: { title: "cheque", fields: [["amount", "Amount (₹)", "decimal"], ["number", "Cheque number", "numeric"], ["bank", "Bank", "text"], ["date", "Cheque date (DD/MM/YYYY)", "text"]] },
          utr: { title: "utr", fields: [["utr", "UTR (12 digits)", "numeric"]] },
          amount: { title: "amount", fields: [["amount", "Amount (₹)", "decimal"]] },
        };
        let openForm = null;

        function openAction(action) {
          if (!state || !["invoice", "awaiting"].includes(state.screen)) return;
          if (action === "cancel") { post("cancel", {}); return; }
          if (action === "utr" && state.screen !== "awaiting") return;
          const spec = FORMS[action];
          openForm = action;
          label($("formTitle"), spec.title);
          const fields = $("fields");
          fields.textContent = "";
          for (const [name, text, mode] of spec.fields) {
            const id = "field-" + name;
            const labelElement = document.createElement("label");
            labelElement.htmlFor = id;
            labelElement.textContent = text;
            const input = document.createElement("input");
            input.id = id;
            input.name = name;
            input.inputMode = mode;
            input.autocomplete = "off";
            if (name === "amount") input.value = action === "amount" && state.qr ? state.qr.amount : state.invoice.outstanding;
            fields.append(labelElement, input);
          }
          $("formError").hidden = true;
          $("form").hidden = false;
          $("actions").hidden = true;
          fields.querySelector("input").focus();
          fields.querySelector("input").select();
        }

        function closeForm() {
          openForm = null;
          $("form").hidden = true;
          $("actions").hidden = false;
        }

        async function post(action, body) {
          try {
            const token = document.querySelector('meta[name="kiosk-token"]').content;
            const response = await fetch("/actions/" + action, { method: "POST", headers: { "Content-Type": "application/json", "X-Kiosk-Token": token }, body: JSON.stringify(body) });
            const answer = await response.json();
            if (!response.ok) {
              $("formError").textContent = answer.detail || ("refused (" + response.status + ")");
              $("formError").hidden = false;
              return false;
            }
            return true;
          } catch (error) {
            $("formError").textContent = "The FieldPay daemon did not answer: " + error;
            $("formError").hidden = false;
            return false;
          }
        }

        $("form").addEventListener("submit", async (event) => {
          event.preventDefault();
          const body = {};
          for (const input of $("fields").querySelectorAll("input")) body[input.name] = input.value;
          if (await post(openForm, body)) closeForm();
        });
        $("formClose").addEventListener("click", closeForm);
        for (const button of document.querySelectorAll("#actions button")) {
          button.addEventListener("click", () => openAction(button.dataset.action));
        }
        document.addEventListener("keydown", (event) => {
          if (event.key === "Escape") {
            if (openForm) { closeForm(); } else { openAction("cancel"); }
            event.preventDefault();
            return;
          }
          if (openForm || event.target.tagName === "INPUT" || event.ctrlKey || event.altKey || event.metaKey) return;
          const button = document.querySelector('#actions button[data-key="' + event.key.toLowerCase() + '"]');
          if (button && !button.disabled) { event.preventDefault(); openAction(button.dataset.action); }
        });

        // Updates: Server-Sent Events. EventSource reconnects by itself; the status bar says when it is away.
        function connect() {
          const source = new EventSource("/events");
          source.addEventListener("state", (event) => {
            $("link").hidden = true;
            render(JSON.parse(event.data));
          });
          source.onerror = () => {
            $("link").hidden = false;
            $("link").textContent = "Reconnecting to the FieldPay daemon…";
            if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
          };
        }
        connect();
        """
}
