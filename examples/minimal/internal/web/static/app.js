// msgkit inbox — the little script the pages use. Data from the server reaches the page in two ways
// only: HTML fragments rendered (and escaped) by html/template, parsed here with DOMParser, which runs
// nothing; and JSON from the API, put in place with textContent. Nothing here uses innerHTML.
'use strict';

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const csrf = () => $('meta[name="csrf-token"]')?.content || '';

  function toSignIn() {
    location.assign('/signin?next=' + encodeURIComponent(location.pathname + location.search));
  }

  // api calls the JSON API as the signed-in user; errors carry the API's message.
  async function api(method, path, body, headers = {}) {
    const init = { method, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf(), ...headers } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    if (res.status === 401) {
      toSignIn();
      throw new Error('Signed out.');
    }
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) {
      const err = new Error(data?.error?.message || res.statusText || 'The request failed.');
      err.code = data?.error?.code;
      err.status = res.status;
      throw err;
    }
    return data;
  }

  // fragment fetches a server-rendered part of a page and parses it, inert.
  async function fragment(path) {
    const res = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (res.status === 401) {
      toSignIn();
      throw new Error('Signed out.');
    }
    const text = await res.text();
    if (!res.ok) throw new Error(text.trim() || res.statusText);
    return new DOMParser().parseFromString(text, 'text/html').body;
  }

  // swap replaces the element #id of the page by the one of the fragment, if both exist.
  function swap(id, from) {
    const next = from.querySelector('#' + id);
    const cur = document.getElementById(id);
    if (!next || !cur) return null;
    const node = document.adoptNode(next);
    cur.replaceWith(node);
    return node;
  }

  function randomKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // ---- The inbox ----

  const inbox = $('#inbox');
  const state = { list: '', thread: '', notes: '', stream: null, openId: '', refreshing: {} };

  function params(extra = {}) {
    const p = new URLSearchParams();
    if (!inbox) return p;
    if (inbox.dataset.view && inbox.dataset.view !== 'all') p.set('view', inbox.dataset.view);
    if (inbox.dataset.channel) p.set('channel', inbox.dataset.channel);
    if (state.openId) p.set('c', state.openId);
    for (const [k, v] of Object.entries(extra)) if (v) p.set(k, v);
    return p;
  }

  // once runs f, and if asked again while it runs, runs it once more afterwards.
  async function once(name, f) {
    const r = state.refreshing;
    if (r[name]) { r[name] = 'again'; return; }
    r[name] = true;
    try {
      do {
        if (r[name] === 'again') r[name] = true;
        await f();
      } while (r[name] === 'again');
    } finally {
      r[name] = false;
    }
  }

  function refreshList() {
    return once('list', async () => {
      const q = params().toString();
      const [views, list] = await Promise.all([fragment('/inbox/views?' + q), fragment('/inbox/list?' + q)]);
      swap('views', views);
      const rows = $('#rows');
      const top = rows ? rows.scrollTop : 0;
      const next = swap('rows', list);
      if (next) {
        next.scrollTop = top;
        state.list = next.dataset.version || '';
      }
    });
  }

  function nearBottom(el, slack = 80) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < slack;
  }

  // scrollThread shows the thread's latest messages, again as its images load and grow it.
  function scrollThread() {
    const t = $('#thread');
    if (!t) return;
    t.scrollTop = t.scrollHeight;
    for (const img of t.querySelectorAll('img')) {
      if (!img.complete) img.addEventListener('load', () => { if (nearBottom(t, img.height + 80)) t.scrollTop = t.scrollHeight; }, { once: true });
    }
  }

  // refreshThread brings the open conversation's header, thread and reply window up to date, leaving
  // what the agent is typing alone.
  function refreshThread() {
    if (!state.openId) return Promise.resolve();
    const id = state.openId;
    return once('thread', async () => {
      const body = await fragment('/inbox/c/' + encodeURIComponent(id) + '?' + params().toString());
      if (id !== state.openId) return;
      const t = $('#thread');
      const stick = !t || nearBottom(t);
      swap('conv-head', body);
      swap('thread', body);
      const win = swap('reply-window', body);
      const conv = $('#conv');
      const fresh = body.querySelector('#conv');
      if (conv && fresh) conv.dataset.version = fresh.dataset.version;
      state.thread = fresh?.dataset.version || '';
      if (win) applyWindow(win);
      if (stick) scrollThread();
    });
  }

  function applyWindow(win) {
    const allowed = win.dataset.allowed === 'true';
    const templatesOnly = win.dataset.templatesOnly === 'true';
    const text = $('#reply-text');
    const tpl = $('#template-select');
    if (text) text.disabled = !allowed || templatesOnly || !!(tpl && tpl.value);
    const send = $('#send');
    if (send) send.disabled = !allowed;
  }

  async function openConversation(id, push = true) {
    state.openId = id;
    const body = await fragment('/inbox/c/' + encodeURIComponent(id) + '?' + params().toString());
    const pane = $('#pane');
    pane.replaceChildren(...Array.from(body.childNodes, (n) => document.adoptNode(n)));
    state.thread = $('#conv')?.dataset.version || '';
    for (const row of document.querySelectorAll('.row')) row.classList.toggle('selected', row.dataset.id === id);
    if (push) history.pushState({ c: id }, '', '/inbox?' + params().toString());
    const name = $('#conv-head h2')?.textContent || '';
    document.title = (name ? name + ' · ' : '') + 'Inbox · msgkit inbox';
    composeKey = randomKey();
    attachments.length = 0;
    scrollThread();
    connect();
  }

  // The event stream: the server says when the list or the open conversation changed.
  function connect() {
    if (!window.EventSource || !$('#notes')) return;
    if (state.stream) state.stream.close();
    const es = new EventSource('/events?' + (inbox ? params({ lv: state.list, tv: state.thread, nv: state.notes })
      : new URLSearchParams({ scope: 'notifications', nv: state.notes })).toString());
    state.stream = es;
    const live = $('#live');
    es.addEventListener('open', () => {
      live?.classList.add('on');
      if (live) live.title = 'Live: new messages appear by themselves';
    });
    es.addEventListener('error', () => {
      live?.classList.remove('on');
      if (live) live.title = 'Live updates are reconnecting…';
    });
    es.addEventListener('signedout', () => {
      es.close();
      toSignIn();
    });
    es.addEventListener('change', (ev) => {
      let d = {};
      try { d = JSON.parse(ev.data); } catch { return; }
      if (d.list && d.list !== state.list) refreshList().catch(showError);
      if (d.thread && d.thread !== state.thread) refreshThread().catch(showError);
      if (d.notes && d.notes !== state.notes) refreshNotes().catch(() => {});
    });
  }

  function showError(err) {
    const out = $('#composer-error');
    if (out) out.textContent = err.message;
  }

  // ---- Replying ----

  let composeKey = randomKey();
  const attachments = [];

  // addAttachment adds a file to the reply: {source, ref, name, size} as the API's upload answer or a
  // picker names it. The same file twice is attached once.
  function addAttachment(a) {
    if (attachments.some((x) => x.source === a.source && x.ref === a.ref)) return;
    attachments.push(a);
    renderAttachments();
  }

  function clearAttachments() {
    attachments.length = 0;
    renderAttachments();
  }

  function renderAttachments() {
    const list = $('#attachments');
    if (!list) return;
    list.replaceChildren(...attachments.map((a, i) => {
      const li = document.createElement('li');
      li.className = 'attachment' + (a.pending ? ' pending' : '');
      li.dataset.source = a.source || '';
      const name = document.createElement('span');
      name.className = 'attachment-name';
      name.textContent = a.name || a.ref;
      const meta = document.createElement('small');
      meta.textContent = a.pending ? 'uploading…' : [sourceLabel(a.source), a.size].filter(Boolean).join(' · ');
      li.append(name, meta);
      if (!a.pending) {
        const rm = document.createElement('button');
        rm.type = 'button';
        rm.className = 'icon-btn';
        rm.setAttribute('aria-label', 'Remove ' + (a.name || 'attachment'));
        rm.textContent = '×';
        rm.addEventListener('click', () => { attachments.splice(i, 1); renderAttachments(); });
        li.append(rm);
      }
      return li;
    }));
  }

  function sourceLabel(name) {
    if (name === 'uploads') return 'Uploaded';
    const b = document.querySelector('[data-action="source"][data-source="' + CSS.escape(name || '') + '"]');
    return b ? b.textContent.trim() : name;
  }

  function sizeText(n) {
    if (!(n >= 0)) return '';
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MB';
    if (n >= 1 << 10) return Math.round(n / (1 << 10)) + ' KB';
    return n + ' bytes';
  }

  // upload sends the files the agent chose to the API, which keeps them for the reply to name.
  async function upload(files) {
    const out = $('#composer-error');
    out.textContent = '';
    for (const f of files) {
      const pending = { pending: true, name: f.name, source: 'uploads', ref: 'pending-' + randomKey() };
      attachments.push(pending);
      renderAttachments();
      try {
        const body = new FormData();
        body.append('file', f, f.name);
        const res = await fetch('/api/uploads', { method: 'POST', body, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() } });
        if (res.status === 401) { toSignIn(); return; }
        const data = await res.json().catch(() => null);
        if (!res.ok) throw new Error((data?.error?.message || res.statusText) + ' (' + f.name + ')');
        attachments.splice(attachments.indexOf(pending), 1);
        addAttachment({ source: data.source, ref: data.ref, name: data.name || f.name, size: sizeText(data.size) });
      } catch (err) {
        attachments.splice(attachments.indexOf(pending), 1);
        renderAttachments();
        out.textContent = 'Upload failed: ' + err.message;
      }
    }
  }

  function closeAttachPanel() {
    const panel = $('#attach-panel');
    if (panel) panel.hidden = true;
    $('[data-action="attach"]')?.setAttribute('aria-expanded', 'false');
  }

  async function openPicker(source, q = '') {
    const body = await fragment('/inbox/files/' + encodeURIComponent(source) + (q ? '?q=' + encodeURIComponent(q) : ''));
    swap('picker', body);
    for (const b of document.querySelectorAll('[data-action="source"]')) b.setAttribute('aria-pressed', String(b.dataset.source === source));
  }

  async function previewTemplate(select) {
    const box = $('#template-preview');
    const text = $('#preview-text');
    const warn = $('#preview-warn');
    const area = $('#reply-text');
    const win = $('#reply-window');
    if (!select.value) {
      box.hidden = true;
      if (area) area.hidden = false;
      if (area && win) area.disabled = win.dataset.allowed !== 'true' || win.dataset.templatesOnly === 'true';
      return;
    }
    if (area) {
      area.disabled = true; // the template is the reply
      area.hidden = true;
    }
    box.hidden = false;
    text.textContent = 'Filling in the merge fields…';
    warn.hidden = true;
    try {
      const id = $('#composer').dataset.id;
      const p = await api('POST', '/api/conversations/' + encodeURIComponent(id) + '/preview', { templateId: select.value });
      text.textContent = p.text;
      const missing = [...(p.missing || []), ...(p.unfilled || [])];
      const notes = [];
      if (missing.length) notes.push('No value for ' + missing.join(', ') + ': link the sender to a record, or the send will fail.');
      if (p.fellBack?.length) notes.push('Fallback text used for ' + p.fellBack.join(', ') + '.');
      warn.textContent = notes.join(' ');
      warn.hidden = notes.length === 0;
    } catch (err) {
      text.textContent = '';
      warn.textContent = err.message;
      warn.hidden = false;
    }
  }

  async function sendReply(form) {
    const id = form.dataset.id;
    const area = $('#reply-text');
    const tpl = $('#template-select');
    const out = $('#composer-error');
    const send = $('#send');
    const body = {};
    if (tpl && tpl.value) body.templateId = tpl.value;
    else body.text = area.value;
    if (attachments.some((a) => a.pending)) {
      out.textContent = 'Wait for the upload to finish.';
      return;
    }
    if (attachments.length) body.attachments = attachments.map((a) => ({ source: a.source, ref: a.ref, name: a.name }));
    if (!body.templateId && !body.text.trim() && !attachments.length) {
      out.textContent = 'Write a reply or choose a template.';
      return;
    }
    out.textContent = '';
    send.disabled = true;
    try {
      await api('POST', '/api/conversations/' + encodeURIComponent(id) + '/reply', body, { 'Idempotency-Key': composeKey });
      composeKey = randomKey();
      area.value = '';
      clearAttachments();
      closeAttachPanel();
      if (tpl) tpl.value = '';
      $('#template-preview').hidden = true;
      area.hidden = false;
      await Promise.all([refreshThread(), refreshList()]);
      scrollThread();
    } catch (err) {
      // An answer from the API is final: a new attempt is a new reply. Without one (the network failed),
      // the same key makes a retry safe.
      if (err.status) composeKey = randomKey();
      out.textContent = (err.status === 422 ? 'Not sent: ' : '') + err.message.replace(/^conversation: /, '');
    } finally {
      const win = $('#reply-window');
      send.disabled = win ? win.dataset.allowed !== 'true' : false;
      if (win) applyWindow(win);
    }
  }

  // ---- Linking (the [+]) ----

  const dialog = $('#link-dialog');

  async function openLink(id, q = '') {
    const body = await fragment('/inbox/c/' + encodeURIComponent(id) + '/link' + (q ? '?q=' + encodeURIComponent(q) : ''));
    swap('link-body', body);
    if (!dialog.open) dialog.showModal();
    const input = $('#link-search input');
    if (input) {
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    }
  }

  async function link(id, payload) {
    try {
      await api('POST', '/api/conversations/' + encodeURIComponent(id) + '/link', payload);
      dialog.close();
      if (id === state.openId) await refreshThread();
      await refreshList();
    } catch (err) {
      const out = $('#link-error');
      if (out) out.textContent = err.message;
    }
  }

  // ---- Notifications ----
  //
  // The bell's panel is a fragment (#notes) the server renders; its forms post to /notifications, which
  // answers the panel as it is after the change. The badge reads the fragment's data-badge.

  function applyNotes(notes) {
    state.notes = notes?.dataset.version || '';
    const count = $('#notification-count');
    if (count) {
      const badge = notes?.dataset.badge || '';
      count.textContent = badge;
      count.hidden = !badge;
      const bell = $('.bell');
      if (bell) bell.setAttribute('aria-label', badge ? 'Notifications: ' + badge + ' unread' : 'Notifications');
    }
  }

  function refreshNotes() {
    if (!$('#notes')) return Promise.resolve();
    return once('notes', async () => putNotes(await fragment('/notifications')));
  }

  // putNotes puts a fresh panel in place, keeping open the snooze menu the agent is using.
  function putNotes(body) {
    const open = Array.from(document.querySelectorAll('#notes details[open]'), (d) => d.closest('[data-id]')?.dataset.id);
    const notes = swap('notes', body);
    for (const id of open) {
      if (id) notes?.querySelector('[data-id="' + CSS.escape(id) + '"] details')?.setAttribute('open', '');
    }
    applyNotes(notes);
  }

  async function postNotes(form, submitter) {
    const data = new FormData(form, submitter);
    const out = $('#notes-error');
    if (out) out.textContent = '';
    const res = await fetch('/notifications', { method: 'POST', body: new URLSearchParams(data), credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrf() } });
    if (res.status === 401) { toSignIn(); return; }
    const text = await res.text();
    if (!res.ok) {
      const err = $('#notes-error');
      if (err) err.textContent = text.trim() || res.statusText;
      return;
    }
    applyNotes(swap('notes', new DOMParser().parseFromString(text, 'text/html').body));
    $('#notifications')?.focus();
    if (inbox) refreshList().catch(showError);
  }

  // ---- Events ----

  document.addEventListener('click', async (ev) => {
    const el = ev.target.closest('[data-action], [data-copy]');
    if (!el) return;
    if (el.dataset.copy) {
      const src = document.getElementById(el.dataset.copy);
      const label = el.lastChild;
      try {
        await navigator.clipboard.writeText(src.value ?? src.textContent);
        if (label && label.nodeType === Node.TEXT_NODE) {
          const was = label.textContent;
          label.textContent = 'Copied';
          setTimeout(() => { label.textContent = was; }, 1500);
        }
      } catch {
        src.select?.();
      }
      return;
    }
    const id = el.dataset.id;
    switch (el.dataset.action) {
      case 'open':
        if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0 || !inbox) return;
        ev.preventDefault();
        openConversation(id).catch(() => location.assign(el.href));
        break;
      case 'link':
        ev.preventDefault();
        ev.stopPropagation();
        openLink(id).catch(showError);
        break;
      case 'link-record':
        link(id, { kind: el.dataset.kind, recordId: el.dataset.record });
        break;
      case 'create-record':
        link(id, { kind: el.dataset.kind, create: true });
        break;
      case 'close-dialog':
        dialog?.close();
        break;
      case 'unlink':
        if (!confirm('Unlink this sender from the record? Their conversations stay; the record no longer lists them.')) return;
        try {
          await api('POST', '/api/conversations/' + encodeURIComponent(id) + '/unlink');
          await Promise.all([refreshThread(), refreshList()]);
        } catch (err) { showError(err); }
        break;
      case 'more': {
        ev.preventDefault();
        const body = await fragment(el.getAttribute('href'));
        el.replaceWith(...Array.from(body.childNodes, (n) => document.adoptNode(n)));
        break;
      }
      case 'attach': {
        const panel = $('#attach-panel');
        panel.hidden = !panel.hidden;
        el.setAttribute('aria-expanded', String(!panel.hidden));
        break;
      }
      case 'source':
        openPicker(el.dataset.source).catch(showError);
        break;
      case 'pick':
        addAttachment({ source: el.dataset.source, ref: el.dataset.ref, name: el.dataset.name, size: el.dataset.size });
        break;
      case 'notifications': {
        const panel = $('#notifications');
        panel.hidden = !panel.hidden;
        for (const b of document.querySelectorAll('[data-action="notifications"]')) b.setAttribute('aria-expanded', String(!panel.hidden));
        if (!panel.hidden) refreshNotes().catch(() => {});
        break;
      }
      case 'note-open': {
        if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
        ev.preventDefault();
        const note = el.dataset.note;
        const li = el.closest('.notification');
        if (note && li?.classList.contains('unread')) {
          const form = li.querySelector('form.note-form');
          const read = form?.querySelector('button[value="read"]');
          if (form && read) await postNotes(form, read).catch(() => {});
        }
        $('#notifications').hidden = true;
        if (inbox) openConversation(id).catch(() => location.assign(el.href));
        else location.assign(el.href);
        break;
      }
    }
  });

  document.addEventListener('change', async (ev) => {
    const el = ev.target;
    if (el.matches('[data-autosubmit]')) el.form.submit();
    if (el.matches('[data-kind-switch]')) showKind(el);
    if (el.matches('[data-action="template"]')) previewTemplate(el);
    if (el.id === 'upload-input' && el.files.length) {
      const files = Array.from(el.files);
      el.value = '';
      upload(files);
    }
    if (el.matches('[data-action="assign"]')) {
      try {
        await api('POST', '/api/conversations/' + encodeURIComponent(el.dataset.id) + '/assign', { to: el.value });
        await Promise.all([refreshThread(), refreshList()]);
      } catch (err) { showError(err); }
    }
  });

  document.addEventListener('submit', (ev) => {
    const form = ev.target;
    if (form.id === 'composer') {
      ev.preventDefault();
      sendReply(form);
    } else if (form.classList.contains('note-form')) {
      ev.preventDefault();
      postNotes(form, ev.submitter).catch((err) => { const out = $('#notes-error'); if (out) out.textContent = err.message; });
    } else if (form.id === 'picker-search') {
      ev.preventDefault();
      openPicker(form.dataset.source, new FormData(form).get('q')).catch(showError);
    } else if (form.id === 'link-search') {
      ev.preventDefault();
      openLink(form.dataset.id, new FormData(form).get('q')).catch(showError);
    } else if (form.dataset.confirm && !confirm(form.dataset.confirm)) {
      ev.preventDefault();
    }
  });

  document.addEventListener('keydown', (ev) => {
    if (ev.target.id === 'reply-text' && ev.key === 'Enter' && (ev.metaKey || ev.ctrlKey)) {
      ev.preventDefault();
      $('#composer')?.requestSubmit();
    }
  });

  // The connect form shows the credential fields of the chosen messenger only.
  function showKind(select) {
    for (const fs of document.querySelectorAll('fieldset.creds')) {
      const on = fs.dataset.kind === select.value;
      fs.hidden = !on;
      fs.disabled = !on;
    }
  }

  const kind = $('[data-kind-switch]');
  if (kind) showKind(kind);

  refreshNotes().catch(() => {}).finally(() => { if (!inbox) connect(); });
  if (inbox) {
    state.list = $('#rows')?.dataset.version || '';
    state.openId = $('#conv')?.dataset.id || '';
    state.thread = $('#conv')?.dataset.version || '';
    scrollThread();
    window.addEventListener('popstate', () => {
      const c = new URLSearchParams(location.search).get('c');
      if (c) openConversation(c, false).catch(() => location.reload());
      else location.reload();
    });
    connect();
  }

  // For the pickers to come, and for tests.
  window.msgkit = { addAttachment, refreshList, refreshThread, refreshNotes };
})();
