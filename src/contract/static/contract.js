// kyso-contract's page script (served from /static: the CSP allows no
// inline script). It finds kyso-agent (GET /v1/hello on the loopback) and
// says why the signing buttons are disabled when it does not answer.
// Signing through kyso-plugin.js comes with the agent (docs/contract.md).
'use strict';
(function () {
  var AGENT = 'http://127.0.0.1:28731';
  function hello() {
    return fetch(AGENT + '/v1/hello', { method: 'GET', mode: 'cors' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }
  document.addEventListener('DOMContentLoaded', function () {
    var st = document.getElementById('agent-status');
    var buttons = document.querySelectorAll('button.sign, button.sign-many');
    if (!st && buttons.length === 0) return;
    hello().then(function (h) {
      if (st) {
        st.textContent = h && h.agent === 'kyso-agent'
          ? st.dataset.ok + ' ' + String(h.version)
          : st.dataset.none;
      }
    });
  });
})();
