"use strict";
// The playground page: draws the chats the server pushes (server-sent events) and acts as
// Telegram's client would. No framework and nothing fetched from the internet.

const chats = {};            // chat id -> state from the server
let state = null;            // /api/state
let customerId = null;       // the customer whose chat is shown on the left
const panes = {};            // "customer" | "admin" -> pane elements
const ZERO_DECIMALS = new Set(["XTR", "JPY", "KRW", "VND", "CLP", "ISK", "UGX"]);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function money(total, currency) {
  if (currency === "XTR") return `⭐️ ${total}`;
  const digits = ZERO_DECIMALS.has(currency) ? 0 : 2;
  const amount = (total / 10 ** digits).toFixed(digits);
  return currency === "USD" ? `$${amount}` : `${amount} ${currency}`;
}

function time(unix) {
  const d = new Date(unix * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

async function api(path, body, isForm = false) {
  const options = { method: "POST" };
  if (isForm) options.body = body;
  else { options.body = JSON.stringify(body || {}); options.headers = { "Content-Type": "application/json" }; }
  const response = await fetch(path, options);
  const text = await response.text();
  let data = {};
  try { data = JSON.parse(text); } catch { data = { error: text }; }
  if (!response.ok && !("ok" in data)) throw new Error(data.error || response.statusText);
  return data;
}

// What Telegram's own app says around the chat, in the customer's language (the bot's messages
// come from the bot, already in that language).
const WORDS = {
  en: {
    message: "Message", cancel: "Cancel", ok: "OK", close: "Close", share: "Share",
    send_image: "Send an image", as_file: "Send as file", as_photo: "Send as photo",
    paid_already: "This invoice is paid.", apps_only: "This button works only in Telegram's own apps.",
    balance: "Balance", method: "Payment method", card: "Visa •••• 4242 (test card)",
    stars_balance: "⭐️ 2500 (test)", total: "Total", pay: "Pay {total}",
    decline: "Decline the card", fail: "Fail the payment", failed: "Payment failed",
    declined: "Your card was declined.", you_paid: "You paid {total}", receipt: "🧾 Receipt · paid",
    share_title: "Share your phone number?", share_text: "The bot will know your phone number {phone}.",
    edited: "edited", private: "private chat with @{bot} · English",
  },
  zh: {
    message: "消息", cancel: "取消", ok: "确定", close: "关闭", share: "分享",
    send_image: "发送图片", as_file: "作为文件发送", as_photo: "作为照片发送",
    paid_already: "此账单已支付。", apps_only: "此按钮只能在 Telegram 官方应用中使用。",
    balance: "余额", method: "支付方式", card: "Visa •••• 4242（测试卡）",
    stars_balance: "⭐️ 2500（测试）", total: "合计", pay: "支付 {total}",
    decline: "银行卡被拒", fail: "支付失败", failed: "支付失败",
    declined: "您的银行卡被拒绝。", you_paid: "您已支付 {total}", receipt: "🧾 收据 · 已支付",
    share_title: "分享您的手机号码？", share_text: "机器人将获得您的手机号码 {phone}。",
    edited: "已编辑", private: "与 @{bot} 的私聊 · 中文",
  },
};

function language(pane) {
  if (pane.role === "admin") return "en";
  const chat = paneChat(pane);
  return chat && chat.language === "zh" ? "zh" : "en";
}

function tr(pane, key, values = {}) {
  const text = WORDS[language(pane)][key] || WORDS.en[key];
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

// ------------------------------------------------------------------ modal and toasts

function modal(bodyNodes, actions) {
  const box = document.getElementById("modal");
  const body = box.querySelector(".modal-body");
  const bar = box.querySelector(".modal-actions");
  body.replaceChildren(...bodyNodes);
  bar.replaceChildren();
  return new Promise((resolve) => {
    for (const action of actions) {
      bar.append(el("button", {
        class: action.class || "", type: "button",
        onclick: () => { box.hidden = true; resolve(action.value); },
      }, action.label));
    }
    box.hidden = false;
  });
}

function toast(pane, text) {
  const node = pane.toast;
  node.textContent = text;
  node.hidden = false;
  clearTimeout(node._timer);
  node._timer = setTimeout(() => { node.hidden = true; }, 2500);
}

// ------------------------------------------------------------------ panes

function makePane(role) {
  const root = document.getElementById(`${role}-pane`);
  root.append(document.getElementById("pane-template").content.cloneNode(true));
  const pane = {
    role, root,
    title: root.querySelector(".chat-title"),
    sub: root.querySelector(".chat-sub"),
    avatar: root.querySelector(".avatar"),
    toast: root.querySelector(".toast"),
    messages: root.querySelector(".messages"),
    menu: root.querySelector(".command-menu"),
    replyKeyboard: root.querySelector(".reply-keyboard"),
    composer: root.querySelector(".composer"),
    input: root.querySelector(".input"),
    fileInput: root.querySelector(".file-input"),
    drawn: "",
  };
  pane.composer.addEventListener("submit", (event) => { event.preventDefault(); sendInput(pane); });
  pane.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); sendInput(pane); }
  });
  pane.input.addEventListener("input", () => {
    const text = pane.input.value;
    if (text.startsWith("/") && !text.includes(" ")) showMenu(pane, text);
    else pane.menu.hidden = true;
  });
  root.querySelector(".menu-button").addEventListener("click", () => {
    if (pane.menu.hidden) showMenu(pane, "/"); else pane.menu.hidden = true;
  });
  root.querySelector(".attach-button").addEventListener("click", () => pane.fileInput.click());
  pane.fileInput.addEventListener("change", () => sendFile(pane));
  pane.messages.addEventListener("click", (event) => {
    const command = event.target.closest("a.command");
    if (command) { event.preventDefault(); sendText(pane, command.dataset.command); return; }
    const spoiler = event.target.closest(".spoiler");
    if (spoiler) spoiler.classList.add("shown");
  });
  panes[role] = pane;
  return pane;
}

function paneChat(pane) {
  const id = pane.role === "admin" ? state.admin_chat : customerId;
  return chats[id];
}

function chatIdOf(pane) {
  return pane.role === "admin" ? state.admin_chat : customerId;
}

function showMenu(pane, prefix) {
  const chat = paneChat(pane);
  const commands = (chat ? chat.commands : []).filter((c) => `/${c.command}`.startsWith(prefix));
  pane.menu.replaceChildren(...commands.map((c) => el("div", {
    onclick: () => { pane.menu.hidden = true; pane.input.value = ""; sendText(pane, `/${c.command}`); },
  }, el("span", { class: "cmd" }, `/${c.command}`), el("span", { class: "muted" }, c.description))));
  pane.menu.hidden = commands.length === 0;
}

async function sendText(pane, text) {
  if (!text.trim()) return;  // Telegram does not send an empty message
  await api(`/api/chats/${chatIdOf(pane)}/text`, { text });
}

async function sendInput(pane) {
  const text = pane.input.value;
  if (!text.trim()) return;
  pane.input.value = "";
  pane.menu.hidden = true;
  await sendText(pane, text);
}

async function sendFile(pane) {
  const file = pane.fileInput.files[0];
  pane.fileInput.value = "";
  if (!file) return;
  let as = "document";
  if (file.type.startsWith("image/")) {
    as = await modal([el("h3", {}, tr(pane, "send_image")), document.createTextNode(file.name)], [
      { label: tr(pane, "cancel"), value: null },
      { label: tr(pane, "as_file"), value: "document" },
      { label: tr(pane, "as_photo"), value: "photo", class: "primary" },
    ]);
    if (!as) return;
  }
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("as", as);
  if (pane.input.value.trim()) { form.append("caption", pane.input.value); pane.input.value = ""; }
  await api(`/api/chats/${chatIdOf(pane)}/file`, form, true);
}

// ------------------------------------------------------------------ buttons

async function pressInline(pane, message, row, column, button, node) {
  if (button.url) { window.open(button.url, "_blank", "noopener"); return; }
  if (button.pay) {
    if (message.invoice && message.invoice.paid) { toast(pane, tr(pane, "paid_already")); return; }
    await payDialog(pane, message);
    return;
  }
  if (button.callback_data === undefined) { toast(pane, tr(pane, "apps_only")); return; }
  node.classList.add("busy");
  try {
    const answer = await api(`/api/chats/${chatIdOf(pane)}/tap`, { message_id: message.id, row, column });
    if (answer.text) {
      if (answer.alert) await modal([document.createTextNode(answer.text)], [{ label: "OK", value: true, class: "primary" }]);
      else toast(pane, answer.text);
    }
    if (answer.url) window.open(answer.url, "_blank", "noopener");
  } catch (error) {
    toast(pane, String(error.message || error));
  } finally {
    node.classList.remove("busy");
  }
}

async function payDialog(pane, message) {
  const invoice = message.invoice;
  const stars = invoice.currency === "XTR";
  const total = money(invoice.total_amount, invoice.currency);
  const choice = await modal([
    el("h3", {}, invoice.title),
    el("div", { class: "muted" }, invoice.description),
    el("div", { class: "card-line" }, el("span", {}, tr(pane, stars ? "balance" : "method")),
      el("span", {}, tr(pane, stars ? "stars_balance" : "card"))),
    el("div", { class: "card-line" }, el("strong", {}, tr(pane, "total")), el("strong", {}, total)),
  ], [
    { label: tr(pane, "cancel"), value: null },
    { label: tr(pane, stars ? "fail" : "decline"), value: "decline", class: "danger" },
    { label: tr(pane, "pay", { total }), value: "pay", class: "primary" },
  ]);
  if (!choice) return;
  const result = await api(`/api/chats/${chatIdOf(pane)}/pay`, { message_id: message.id, outcome: choice });
  if (!result.ok) {
    const why = result.code === "declined" ? tr(pane, "declined") : result.error || "";
    await modal([el("h3", {}, tr(pane, "failed")), document.createTextNode(why)],
      [{ label: tr(pane, "ok"), value: true, class: "primary" }]);
  } else toast(pane, `✅ ${tr(pane, "you_paid", { total })}`);
}

async function pressReply(pane, button) {
  if (button.request_contact) {
    const chat = paneChat(pane);
    const ok = await modal([el("h3", {}, tr(pane, "share_title")),
      document.createTextNode(tr(pane, "share_text", { phone: chat.phone || "" }))],
      [{ label: tr(pane, "cancel"), value: false }, { label: tr(pane, "share"), value: true, class: "primary" }]);
    if (ok) await api(`/api/chats/${chatIdOf(pane)}/contact`, {});
    return;
  }
  if (button.request_location || button.request_poll || button.web_app) {
    toast(pane, tr(pane, "apps_only"));
    return;
  }
  await sendText(pane, button.text);
}

// ------------------------------------------------------------------ drawing

function drawMessage(pane, chat, message) {
  const side = message.kind === "successful_payment" ? "service" : message.from_bot ? "in" : "out";
  const bubble = el("div", { class: "bubble" });
  if (message.reply_to) bubble.append(el("div", { class: "quote" }, message.reply_to.text));
  if (message.photo) {
    const img = el("img", {
      class: "photo", src: message.photo.url, alt: "photo",
      width: message.photo.width || undefined, height: message.photo.height || undefined,
    });
    img.addEventListener("load", () => { if (pane.stick) pane.messages.scrollTop = pane.messages.scrollHeight; });
    img.addEventListener("click", () => modal([el("img", { src: message.photo.url })], [{ label: tr(pane, "close"), value: true }]));
    bubble.append(img);
  }
  if (message.document) {
    bubble.append(el("a", { class: "doc", href: message.document.url, download: message.document.name },
      el("span", { class: "icon" }, "⬇"),
      el("span", {}, el("div", { class: "name" }, message.document.name),
        el("div", { class: "muted small" }, bytes(message.document.size)))));
  }
  if (message.invoice) {
    const inv = message.invoice;
    bubble.classList.add("invoice");
    bubble.append(el("div", { class: "title" }, inv.title), el("div", {}, inv.description),
      el("div", { class: "total" }, money(inv.total_amount, inv.currency)));
  }
  if (message.contact) {
    bubble.append(el("div", {}, `📱 ${message.contact.first_name} · ${message.contact.phone_number}`));
  }
  if (message.payment) {
    bubble.append(tr(pane, "you_paid", { total: money(message.payment.total, message.payment.currency) }));
  }
  if (message.html) {
    const text = el("div", { class: "text" });
    text.innerHTML = message.html;  // rebuilt on the server from entities, escaped there
    bubble.append(text);
  } else if (!message.photo && !message.document && !message.invoice && !message.contact && !message.payment) {
    bubble.append(el("div", { class: "muted" }, `(${message.kind})`));
  }
  if (side !== "service") {
    bubble.append(el("span", { class: "meta" }, `${message.edited ? `${tr(pane, "edited")} ` : ""}${time(message.date)}`));
  }
  const row = el("div", { class: `row ${side}`, "data-id": String(message.id) }, bubble);
  let keyboard = message.keyboard || [];
  if (message.invoice && !keyboard.length) {
    keyboard = [[{ text: tr(pane, "pay", { total: money(message.invoice.total_amount, message.invoice.currency) }), pay: true }]];
  }
  if (message.invoice && message.invoice.paid) {
    keyboard = keyboard.map((line) => line.map((b) => (b.pay ? { ...b, text: tr(pane, "receipt") } : b)));
  }
  if (keyboard.length) {
    const grid = el("div", { class: "keyboard" });
    keyboard.forEach((buttons, r) => {
      const line = el("div", { class: "kb-row" });
      buttons.forEach((button, c) => {
        const node = el("button", { type: "button", class: button.pay ? "pay" : "" }, button.text + (button.url ? " ↗" : ""));
        node.addEventListener("click", () => pressInline(pane, message, r, c, button, node));
        line.append(node);
      });
      grid.append(line);
    });
    row.append(grid);
  }
  return row;
}

function drawPane(pane) {
  const chat = paneChat(pane);
  if (!chat) return;
  const signature = JSON.stringify([chat.id, chat.messages, chat.reply_keyboard]);
  const title = pane.role === "admin" ? chat.title : `${chat.title} ↔ ${state.bot.name}`;
  pane.title.textContent = title;
  pane.avatar.textContent = chat.title.slice(0, 1);
  pane.sub.textContent = pane.role === "admin"
    ? `group · you are ${state.merchant.name}, the merchant`
    : tr(pane, "private", { bot: state.bot.username });
  if (signature === pane.drawn) return;
  const list = pane.messages;
  list.onscroll = () => { pane.stick = list.scrollHeight - list.scrollTop - list.clientHeight < 60; };
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60 || pane.drawnChat !== chat.id;
  pane.drawn = signature;
  pane.drawnChat = chat.id;
  list.replaceChildren(...chat.messages.map((m) => drawMessage(pane, chat, m)));
  const keyboard = chat.reply_keyboard;
  pane.replyKeyboard.hidden = !keyboard;
  pane.replyKeyboard.replaceChildren();
  pane.input.placeholder = (keyboard && keyboard.placeholder) || tr(pane, "message");
  if (keyboard) {
    for (const buttons of keyboard.rows) {
      const line = el("div", { class: "kb-row" });
      for (const button of buttons) {
        line.append(el("button", { type: "button", onclick: () => pressReply(pane, button) },
          (button.request_contact ? "📱 " : "") + button.text));
      }
      pane.replyKeyboard.append(line);
    }
  }
  pane.stick = atBottom;
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function drawCustomers() {
  const list = document.getElementById("customers");
  list.replaceChildren(...state.customers.map((c) => el("li", {
    class: c.id === customerId ? "active" : "", "data-id": String(c.id),
    onclick: () => { customerId = c.id; drawCustomers(); panes.customer.drawn = ""; drawPane(panes.customer); },
  }, el("span", { class: "avatar" }, c.name.slice(0, 1)), el("span", {}, c.name),
    el("span", { class: "lang" }, c.language === "zh" ? "中文" : "EN"))));
}

// ------------------------------------------------------------------ the "Try" panel

function suggestion(text, role = "customer") {
  return el("code", { class: "suggest", "data-pane": role }, text);
}

function drawTour(tour) {
  for (const node of document.querySelectorAll("[data-tour]")) {
    const value = tour[node.dataset.tour];
    if (typeof value === "string") node.textContent = value;
  }
  const addresses = document.getElementById("tour-addresses");
  const parts = [];
  (tour.addresses || []).forEach((address, i) => {
    if (i) parts.push(", ");
    parts.push(suggestion(address));
  });
  if (parts.length) parts.push(".");
  addresses.replaceChildren(...parts);
  // A click puts the suggestion in the message box of its chat (the customer's by default).
  document.getElementById("tour").addEventListener("click", (event) => {
    const node = event.target.closest(".suggest");
    if (!node) return;
    const pane = panes[node.dataset.pane === "admin" ? "admin" : "customer"];
    pane.input.value = node.textContent;
    pane.input.focus();
  });
}

// ------------------------------------------------------------------ start

async function start() {
  state = await (await fetch("/api/state")).json();
  document.getElementById("bot-name").textContent = `${state.bot.name} (@${state.bot.username})`;
  document.getElementById("merchant-name").textContent = state.merchant.name;
  customerId = state.customers.length ? state.customers[0].id : null;
  makePane("customer");
  makePane("admin");
  drawCustomers();
  drawTour(state.tour || {});
  document.getElementById("add-customer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const customer = await api("/api/customers", { name: form.name.value, language: form.language.value });
    if (!customer.id) return;
    if (!chats[customer.id]) chats[customer.id] = customer.chat;
    delete customer.chat;
    state.customers.push(customer);
    customerId = customer.id;
    form.reset();
    drawCustomers();
    panes.customer.drawn = "";
    drawPane(panes.customer);
  });
  const events = new EventSource("/api/events");
  events.addEventListener("chat", (event) => {
    const chat = JSON.parse(event.data);
    chats[chat.id] = chat;
    if (chat.id === state.admin_chat) drawPane(panes.admin);
    if (chat.id === customerId) drawPane(panes.customer);
  });
  document.body.dataset.ready = "true";
}

start();
