// The transfer upload's script, served at /static/transfer.js (same origin, under the console's
// CSP: no inline script anywhere). It only improves the plain form, which works without it:
// files dropped anywhere on the page (several at once, over several drops) join those chosen, each is
// listed with its size, the form's limits are checked before a byte is sent, and the upload shows
// its progress. The server checks everything again; an answer that is not the transfer's page is
// shown as the page the server sent.
#include "web/internal/transfer_pages.h"

namespace sanso::web::internal {

std::string_view upload_script() {
  return R"js('use strict';
(() => {
  const form = document.getElementById('send-form');
  if (!form || !window.FormData || !window.DataTransfer) return;
  const input = form.querySelector('input[type=file][name=files]');
  const zone = document.getElementById('drop-zone');
  const list = document.getElementById('file-list');
  const bar = document.getElementById('upload-progress');
  const status = document.getElementById('upload-status');
  const limits = { file: Number(form.dataset.maxFile), files: Number(form.dataset.maxFiles), total: Number(form.dataset.maxTotal) };
  let chosen = [];

  const say = (text) => { status.textContent = text; };
  const size = (n) => (n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KB' : n + ' B');

  // What is chosen is always in the input too, so that the browser's own checks see it.
  const show = () => {
    const all = new DataTransfer();
    chosen.forEach((f) => all.items.add(f));
    input.files = all.files;
    list.replaceChildren(...chosen.map((f) => {
      const item = document.createElement('li');
      item.textContent = f.name + ' (' + size(f.size) + ')';
      return item;
    }));
  };
  const over = () => {
    const total = chosen.reduce((n, f) => n + f.size, 0);
    if (limits.files && chosen.length > limits.files) return zone.dataset.tooMany;
    if (limits.file && chosen.some((f) => f.size > limits.file)) return zone.dataset.tooLarge;
    if (limits.total && total > limits.total) return zone.dataset.tooLarge;
    return '';
  };

  zone.hidden = false;
  input.addEventListener('change', () => { chosen = Array.from(input.files); show(); say(over()); });
  // Files dropped anywhere on the page join the form (a browser would otherwise open them).
  document.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('active'); });
  document.addEventListener('dragleave', () => zone.classList.remove('active'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('active');
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    chosen = chosen.concat(Array.from(e.dataTransfer.files));
    show();
    say(over());
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const refused = over();
    if (refused) return say(refused);
    const body = new FormData(form);
    const request = new XMLHttpRequest();
    request.open('POST', form.action);
    bar.hidden = false;
    bar.value = 0;
    form.querySelector('button[type=submit]').disabled = true;
    request.upload.addEventListener('progress', (p) => {
      if (p.lengthComputable) bar.value = Math.round((p.loaded / p.total) * 100);
    });
    request.addEventListener('load', () => {
      bar.value = 100;
      // Accepted: the server sent us on to the transfer's page.
      if (request.status === 200 && /\/transfer\/t[0-9a-f]+/.test(new URL(request.responseURL).pathname)) {
        window.location.assign(request.responseURL);
        return;
      }
      // Refused: its page, as the server wrote it (its scripts are not run again).
      const page = new DOMParser().parseFromString(request.responseText, 'text/html');
      document.replaceChild(document.adoptNode(page.documentElement), document.documentElement);
    });
    request.addEventListener('error', () => {
      form.querySelector('button[type=submit]').disabled = false;
      say(zone.dataset.failed);
    });
    request.send(body);
  });
})();
)js";
}

}  // namespace sanso::web::internal
