// The web chat page: talks to /api/webchat/*, renders replies and their buttons, polls the inbox.
(() => {
  const boot = window.webchatBoot;
  const $ = (id) => document.getElementById(id);
  const log = $("log");
  let lang = localStorage.getItem("webchat.lang") || boot.locale;
  if (!boot.strings[lang]) lang = boot.locale;

  const lookup = (key) =>
    key.split(".").reduce((o, k) => (o ? o[k] : undefined), boot.strings[lang]);
  const t = (key, params = {}) =>
    String(lookup(key) ?? key).replace(/\{\{(\w+)\}\}/g, (_, name) => params[name] ?? "");

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.title = t("title");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]"))
      el.placeholder = t(el.dataset.i18nPlaceholder);
    const first = $("demoUser").options[0];
    if (first) first.textContent = t("pickPerson");
    for (const option of $("demoUser").options) {
      if (option.dataset.name)
        option.textContent = `${option.dataset.name} (${t(`roles.${option.dataset.role}`)}) — ${option.dataset.org}`;
    }
    showWhere();
  }

  const currentUser = () => (boot.demo ? $("demoUser").value : $("userId").value.trim());
  const currentChat = () => $("chatId").value.trim() || currentUser();

  function showWhere() {
    const chat = $("chatId").value.trim();
    $("where").textContent = chat ? t("groupChat", { chat }) : t("privateChat");
  }

  function addNote(text) {
    const div = document.createElement("div");
    div.className = "msg note";
    div.textContent = text;
    log.append(div);
    log.scrollTop = log.scrollHeight;
  }

  function addMine(text) {
    const div = document.createElement("div");
    div.className = "msg me";
    div.textContent = text;
    log.append(div);
    log.scrollTop = log.scrollHeight;
  }

  function addReply(reply) {
    const div = document.createElement("div");
    div.className = "msg bot";
    div.textContent = reply.text;
    if (reply.image) {
      const img = document.createElement("img");
      img.className = "chart";
      img.src = `data:image/png;base64,${reply.image.png}`;
      img.alt = reply.image.alt;
      img.style.display = "block";
      img.style.maxWidth = "100%";
      img.style.marginTop = "0.5em";
      div.append(img);
    }
    if (reply.buttons.length > 0) {
      const box = document.createElement("div");
      box.className = "buttons";
      for (const row of reply.buttons) {
        const line = document.createElement("div");
        line.className = "row";
        for (const b of row) {
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = b.label;
          button.addEventListener("click", () => send({ action: b.action }, b.label));
          line.append(button);
        }
        box.append(line);
      }
      div.append(box);
    }
    // A decided card replaces the earlier card with the same ref, wherever it is in the log.
    if (reply.ref) {
      div.dataset.ref = reply.ref;
      const earlier = [...log.querySelectorAll(".msg.bot")].find(
        (m) => m.dataset.ref === reply.ref,
      );
      if (reply.edit && earlier) {
        earlier.replaceWith(div);
        return;
      }
    }
    log.append(div);
    log.scrollTop = log.scrollHeight;
  }

  async function send(input, shown) {
    const user = currentUser();
    if (!user) return addNote(t("noPerson"));
    addMine(shown);
    const chat = $("chatId").value.trim();
    try {
      const res = await fetch("/api/webchat/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user, ...(chat ? { chat } : {}), ...input }),
      });
      const body = await res.json();
      if (!res.ok) return addNote(body.error ?? t("networkError"));
      for (const reply of body.replies) addReply(reply);
    } catch {
      addNote(t("networkError"));
    }
  }

  async function pollInbox() {
    const chat = currentChat();
    if (!chat) return;
    try {
      const res = await fetch(`/api/webchat/inbox?chat=${encodeURIComponent(chat)}`);
      if (!res.ok) return;
      for (const message of (await res.json()).messages) addReply(message);
    } catch {
      // The next poll tries again.
    }
  }

  async function loadDemoUsers() {
    $("demoBox").hidden = false;
    $("userBox").hidden = true;
    const select = $("demoUser");
    select.append(new Option(t("pickPerson"), ""));
    const res = await fetch("/api/webchat/demo-users");
    if (!res.ok) return;
    for (const u of (await res.json()).users) {
      const option = new Option("", u.user);
      Object.assign(option.dataset, { name: u.name, role: u.role, org: u.org });
      select.append(option);
    }
    applyLanguage();
  }

  function resetChat() {
    log.replaceChildren();
    showWhere();
  }

  for (const l of Object.keys(boot.strings))
    $("uiLang").append(new Option(boot.strings[l].languageName ?? l, l));
  $("uiLang").value = lang;
  $("uiLang").addEventListener("change", () => {
    lang = $("uiLang").value;
    localStorage.setItem("webchat.lang", lang);
    applyLanguage();
  });
  $("demoUser").addEventListener("change", resetChat);
  $("userId").addEventListener("change", resetChat);
  $("chatId").addEventListener("change", resetChat);
  $("menuButton").addEventListener("click", () => send({ text: "/menu" }, t("menu")));
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    send({ text }, text);
  });

  applyLanguage();
  if (boot.demo) loadDemoUsers();
  setInterval(pollInbox, 3000);
})();
