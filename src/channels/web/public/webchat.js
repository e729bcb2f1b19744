// The web chat page. Who you are is the session (an HttpOnly cookie the page never sees): log in
// with a binding code (or a `?code=` link), or in demo mode by picking a person. The chat shown
// is the server's log of it, read by cursor: reloading, switching chats or a second tab shows
// the same conversation, and nothing is lost by reading it.
(() => {
  const boot = window.webchatBoot;
  const $ = (id) => document.getElementById(id);
  const log = $("log");
  let lang = localStorage.getItem("webchat.lang") || boot.locale;
  if (!boot.strings[lang]) lang = boot.locale;
  /** The session's person: { user, name, role, locale }, or null when logged out. */
  let me = null;
  /** The chat shown: a group id, or null for the private chat. */
  let chat = null;
  /** The highest message number shown, per chat: the inbox cursor. */
  let cursor = 0;
  let shown = new Set();
  let polling = null;
  let pollAgain = false;

  const lookup = (key) =>
    key.split(".").reduce((o, k) => (o ? o[k] : undefined), boot.strings[lang]);
  const t = (key, params = {}) =>
    String(lookup(key) ?? key).replace(/\{\{(\w+)\}\}/g, (_, name) => params[name] ?? "");

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.title = t("title");
    $("uiLang").value = lang;
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]"))
      el.placeholder = t(el.dataset.i18nPlaceholder);
    const first = $("demoUser").options[0];
    if (first) first.textContent = t("pickPerson");
    for (const option of $("demoUser").options) {
      if (option.dataset.name)
        option.textContent = `${option.dataset.name} (${t(`roles.${option.dataset.role}`)}) — ${option.dataset.org}`;
    }
    showWho();
  }

  /** The page's language is the bot's: one setting, kept with the person when logged in. */
  function setLanguage(next, save) {
    if (!boot.strings[next]) return;
    lang = next;
    localStorage.setItem("webchat.lang", lang);
    applyLanguage();
    if (save && me)
      api("PATCH", "/api/webchat/session", { locale: lang }).catch(() =>
        addNote(t("networkError")),
      );
  }

  function showWho() {
    if (!me) return;
    $("who").textContent = t("whoami", { name: me.name, role: t(`roles.${me.role}`) });
    $("where").textContent = chat ? t("groupChat", { chat }) : t("privateChat");
    $("toPrivate").hidden = chat === null;
    // Imports are an admin's, in their private chat (the server checks both again).
    $("uploadButton").hidden = !(me.role === "admin" && chat === null);
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
    });
    let data = {};
    try {
      data = await res.json();
    } catch {
      // An empty or non-JSON answer: the status says enough.
    }
    return { status: res.status, ok: res.ok, data };
  }

  const scrollDown = () => {
    log.scrollTop = log.scrollHeight;
  };

  function addNote(text) {
    const div = document.createElement("div");
    div.className = "msg note";
    div.textContent = text;
    log.append(div);
    scrollDown();
  }

  function bubble(message) {
    const div = document.createElement("div");
    if (message.author) {
      const mine = me && message.author.user === me.user;
      div.className = `msg ${mine ? "me" : "other"}`;
      if (!mine) {
        const name = document.createElement("span");
        name.className = "author";
        name.textContent = message.author.name;
        div.append(name);
      }
      div.append(document.createTextNode(message.text));
      return div;
    }
    div.className = "msg bot";
    div.append(document.createTextNode(message.text));
    if (message.image) {
      const img = document.createElement("img");
      img.className = "chart";
      img.src = `data:image/png;base64,${message.image.png}`;
      img.alt = message.image.alt;
      div.append(img);
    }
    // An export: a link that works in this session only (the server checks it).
    if (message.file?.url.startsWith("/api/webchat/files/")) {
      const link = document.createElement("a");
      link.className = "file";
      link.href = message.file.url;
      link.download = message.file.name;
      link.textContent = `${t("download")}: ${message.file.name}`;
      div.append(document.createElement("br"), link);
    }
    if (message.buttons.length > 0) {
      const box = document.createElement("div");
      box.className = "buttons";
      for (const row of message.buttons) {
        const line = document.createElement("div");
        line.className = "row";
        for (const b of row) {
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = b.label;
          button.addEventListener("click", () => send({ action: b.action }));
          line.append(button);
        }
        box.append(line);
      }
      div.append(box);
    }
    if (message.ref) div.dataset.ref = message.ref;
    return div;
  }

  function render(message) {
    if (message.id !== undefined) {
      if (shown.has(message.id)) return;
      shown.add(message.id);
      cursor = Math.max(cursor, message.id);
    }
    if (message.author && me && message.author.user === me.user) {
      const pending = log.querySelector(".msg.me.pending");
      if (pending) pending.remove();
    }
    const div = bubble(message);
    // A decided card replaces the earlier card with the same ref, wherever it is in the log.
    if (message.ref && message.edit) {
      const earlier = [...log.querySelectorAll(".msg.bot")].find(
        (m) => m.dataset.ref === message.ref,
      );
      if (earlier) {
        earlier.replaceWith(div);
        return;
      }
    }
    log.append(div);
    scrollDown();
  }

  const chatQuery = () => (chat ? `chat=${encodeURIComponent(chat)}&` : "");

  /** Reads the shown chat on from the cursor; one read at a time, another right after if asked. */
  async function poll() {
    if (!me) return;
    if (polling) {
      pollAgain = true;
      return polling;
    }
    polling = (async () => {
      try {
        const res = await api("GET", `/api/webchat/inbox?${chatQuery()}after=${cursor}`);
        if (res.status === 401) return sessionEnded();
        if (res.status === 403) {
          addNote(res.data.error ?? t("networkError"));
          return openChat(null);
        }
        if (res.ok) for (const message of res.data.messages) render(message);
      } catch {
        // The next poll tries again.
      } finally {
        polling = null;
      }
      if (pollAgain) {
        pollAgain = false;
        await poll();
      }
    })();
    return polling;
  }

  /** Shows a chat's conversation from the server: its latest messages, then on by cursor. */
  async function openChat(next) {
    chat = next;
    if (chat) localStorage.setItem("webchat.chat", chat);
    else localStorage.removeItem("webchat.chat");
    $("chatId").value = chat ?? "";
    log.replaceChildren();
    shown = new Set();
    cursor = 0;
    showWho();
    if (!me) return;
    try {
      const res = await api("GET", `/api/webchat/inbox?${chatQuery()}`.replace(/[?&]$/, ""));
      if (res.status === 401) return sessionEnded();
      if (res.status === 403) {
        addNote(res.data.error ?? t("networkError"));
        // A group not bound yet opens empty: an admin's /bind is what it takes.
        return;
      }
      if (res.ok) for (const message of res.data.messages) render(message);
    } catch {
      addNote(t("networkError"));
    }
  }

  function tooLong(text) {
    if (text.length <= boot.maxText) return false;
    addNote(t("tooLong", { max: boot.maxText, count: text.length }));
    return true;
  }

  async function send(input) {
    if (!me) return;
    if (input.text !== undefined) {
      const mine = document.createElement("div");
      mine.className = "msg me pending";
      mine.textContent = input.text;
      log.append(mine);
      scrollDown();
    }
    try {
      const res = await api("POST", "/api/webchat/messages", {
        ...(chat ? { chat } : {}),
        ...input,
      });
      if (res.status === 401) return sessionEnded();
      if (!res.ok) {
        log.querySelector(".msg.me.pending")?.remove();
        return addNote(res.data.error ?? t("networkError"));
      }
      if (res.data.loggedOut) return loggedOut(res.data.replies[0]?.text);
      // Answers that are not in the log (e.g. "log in on the page") are shown as they come.
      for (const reply of res.data.replies) if (reply.id === undefined) render(reply);
      if (res.data.locale && res.data.locale !== lang) setLanguage(res.data.locale, false);
      await poll();
    } catch {
      log.querySelector(".msg.me.pending")?.remove();
      addNote(t("networkError"));
    }
  }

  /**
   * A sheet to import: sent to the private chat, answered once its preview is there; the log
   * is read more often meanwhile, so the progress message shows as it is edited.
   */
  async function upload(file) {
    if (!me || chat) return;
    addNote(t("uploading", { file: file.name }));
    const form = new FormData();
    form.append("file", file, file.name);
    const often = setInterval(poll, 1000);
    try {
      const res = await fetch("/api/webchat/upload", {
        method: "POST",
        body: form,
        credentials: "same-origin",
      });
      if (res.status === 401) return sessionEnded();
      if (!res.ok) {
        let data = {};
        try {
          data = await res.json();
        } catch {
          // No JSON: the status says enough.
        }
        return addNote(data.error ?? t("networkError"));
      }
      await poll();
    } catch {
      addNote(t("networkError"));
    } finally {
      clearInterval(often);
    }
  }

  function showLogin(note = "") {
    me = null;
    $("chat").hidden = true;
    $("login").hidden = false;
    $("loginNote").textContent = note;
    log.replaceChildren();
  }

  function sessionEnded() {
    showLogin(t("sessionEnded"));
  }

  function loggedOut(text) {
    showLogin(text ?? t("loggedOut"));
  }

  async function loggedIn(person) {
    me = person;
    $("login").hidden = true;
    $("chat").hidden = false;
    $("code").value = "";
    if (person.locale !== lang) setLanguage(person.locale, false);
    const remembered = localStorage.getItem("webchat.chat");
    await openChat(remembered && remembered !== person.user ? remembered : null);
  }

  async function logIn(body) {
    $("loginNote").textContent = "";
    try {
      const res = await api("POST", "/api/webchat/session", { ...body, locale: lang });
      if (!res.ok) {
        $("loginNote").textContent = res.data.error ?? t("networkError");
        return;
      }
      localStorage.removeItem("webchat.chat");
      await loggedIn(res.data);
    } catch {
      $("loginNote").textContent = t("networkError");
    }
  }

  async function loadDemoUsers() {
    $("demoBox").hidden = false;
    const select = $("demoUser");
    select.append(new Option(t("pickPerson"), ""));
    const res = await api("GET", "/api/webchat/demo-users");
    if (!res.ok) return;
    for (const u of res.data.users) {
      const option = new Option("", u.user);
      Object.assign(option.dataset, { name: u.name, role: u.role, org: u.org });
      select.append(option);
    }
    applyLanguage();
  }

  for (const l of Object.keys(boot.strings))
    $("uiLang").append(new Option(boot.strings[l].languageName ?? l, l));
  $("uiLang").addEventListener("change", () => setLanguage($("uiLang").value, true));
  $("codeForm").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("code").value.trim();
    if (code) logIn({ code });
  });
  $("demoUser").addEventListener("change", () => {
    const user = $("demoUser").value;
    if (user) logIn({ demo: user });
  });
  // A chat opens on its button (or Enter) only: typing a group id and then clicking somewhere
  // else keeps the conversation on screen and acts in the chat shown.
  $("chatForm").addEventListener("submit", (event) => {
    event.preventDefault();
    const next = $("chatId").value.trim();
    openChat(next && next !== me?.user ? next : null);
  });
  $("toPrivate").addEventListener("click", () => openChat(null));
  $("logout").addEventListener("click", async () => {
    try {
      await api("DELETE", "/api/webchat/session");
    } catch {
      // Logged out here all the same; the session ends on its own.
    }
    localStorage.removeItem("webchat.chat");
    loggedOut();
  });
  $("menuButton").addEventListener("click", () => send({ text: "/menu" }));
  $("uploadButton").addEventListener("click", () => $("uploadFile").click());
  $("uploadFile").addEventListener("change", () => {
    const file = $("uploadFile").files[0];
    $("uploadFile").value = "";
    if (file) upload(file);
  });
  $("text").addEventListener("input", () => {
    $("text").classList.toggle("over", $("text").value.length > boot.maxText);
  });
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value.trim();
    if (!text || tooLong(text)) return;
    $("text").value = "";
    $("text").classList.remove("over");
    send({ text });
  });

  async function start() {
    applyLanguage();
    if (boot.demo) loadDemoUsers();
    // A link or QR code carries the code: redeem it, then drop it from the address bar.
    const params = new URLSearchParams(location.search);
    const code = params.get("code");
    if (code) {
      history.replaceState(null, "", location.pathname);
      $("code").value = code;
      await logIn({ code });
      if (me) return;
      $("login").hidden = false;
      return;
    }
    try {
      const res = await api("GET", "/api/webchat/session");
      if (res.ok) return loggedIn(res.data);
    } catch {
      // Shown as logged out; logging in tells what is wrong.
    }
    showLogin();
  }

  start();
  setInterval(poll, 3000);
})();
