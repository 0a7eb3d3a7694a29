/* 职责通 web page: progressive enhancement only.
 *
 * Every link and form works without this file (the server renders whole pages). Where the
 * browser has XMLHttpRequest and history.pushState, questions, links marked data-nav and
 * forms marked data-post load the server's HTML fragment (?fragment=1) in place instead of
 * a whole page, and the address bar follows so links stay shareable.
 * ES5 on purpose: old WebViews (WeChat's in-app browser on old phones) must run it.
 * No words here: the loading and error notes come from the page (data-loading, data-error).
 */
(function () {
  'use strict';
  if (!window.XMLHttpRequest || !document.addEventListener || !window.history || !history.pushState) {
    return;
  }

  var content, form, input, busy = false, moved = false;

  function withFragment(url) {
    return url + (url.indexOf('?') < 0 ? '?' : '&') + 'fragment=1';
  }

  function closest(node, className) {
    while (node && node !== document) {
      if (node.className && (' ' + node.className + ' ').indexOf(' ' + className + ' ') >= 0) {
        return node;
      }
      node = node.parentNode;
    }
    return null;
  }

  function note(target, text) {
    var p = document.createElement('p');
    p.className = 'loading';
    p.appendChild(document.createTextNode(text || ''));
    target.appendChild(p);
    return p;
  }

  function request(method, url, body, done, failed) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, withFragment(url), true);
    xhr.setRequestHeader('Accept', 'text/html');
    if (body !== null) {
      xhr.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
    }
    xhr.timeout = 30000;
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) {
        return;
      }
      var type = xhr.getResponseHeader('Content-Type') || '';
      // The server's notes (429, 404, 401 …) are fragments too: show them like any page.
      if (xhr.status > 0 && type.indexOf('text/html') === 0) {
        done(xhr.responseText, xhr.status);
      } else {
        failed();
      }
    };
    xhr.send(body);
  }

  function queryOf(url) {
    var match = /[?&]q=([^&#]*)/.exec(url);
    if (!match) {
      return '';
    }
    try {
      return decodeURIComponent(match[1].replace(/\+/g, ' '));
    } catch (e) {
      return '';
    }
  }

  function navigate(url, push) {
    if (busy) {
      return;
    }
    busy = true;
    content.setAttribute('aria-busy', 'true');
    var loading = note(content, content.getAttribute('data-loading'));
    request('GET', url, null, function (html) {
      busy = false;
      content.removeAttribute('aria-busy');
      content.innerHTML = html;
      if (push) {
        history.pushState({ url: url }, '', url);
        moved = true;
      }
      if (input) {
        input.value = queryOf(url);
      }
      window.scrollTo(0, 0);
    }, function () {
      busy = false;
      content.removeAttribute('aria-busy');
      if (loading.parentNode) {
        loading.parentNode.removeChild(loading);
      }
      window.location.href = url;  // let the browser show whatever went wrong
    });
  }

  function serialize(f) {
    var parts = [], i, el;
    for (i = 0; i < f.elements.length; i++) {
      el = f.elements[i];
      if (el.name && el.type !== 'submit' && el.type !== 'button') {
        parts.push(encodeURIComponent(el.name) + '=' + encodeURIComponent(el.value));
      }
    }
    return parts.join('&');
  }

  function post(f) {
    var box = closest(f, 'feedback') || content;
    var buttons = box.getElementsByTagName('button'), i;
    for (i = 0; i < buttons.length; i++) {
      buttons[i].disabled = true;
    }
    request('POST', f.getAttribute('action'), serialize(f), function (html) {
      box.innerHTML = html;
    }, function () {
      f.submit();  // as a plain form: the server answers with a whole page
    });
  }

  function onSubmit(ev) {
    var f = ev.target;
    if (f === form) {
      var q = input.value.replace(/^\s+|\s+$/g, '');
      if (!q) {
        return;  // the server answers an empty question with a hint
      }
      ev.preventDefault();
      input.blur();  // put the phone's keyboard away
      navigate('/?q=' + encodeURIComponent(q), true);
    } else if (f.getAttribute && f.getAttribute('data-post') !== null) {
      ev.preventDefault();
      post(f);
    }
  }

  function onClick(ev) {
    if (ev.defaultPrevented || ev.button || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) {
      return;
    }
    var a = ev.target;
    while (a && a.nodeName !== 'A') {
      a = a.parentNode;
    }
    if (!a || a.getAttribute('data-nav') === null) {
      return;
    }
    ev.preventDefault();
    navigate(a.getAttribute('href'), true);
  }

  function start() {
    content = document.getElementById('content');
    form = document.getElementById('ask');
    input = form ? form.elements.q : null;
    if (!content || !form || !input) {
      return;  // a page without the search box (the key prompt, admin): nothing to improve
    }
    document.addEventListener('submit', onSubmit, false);
    document.addEventListener('click', onClick, false);
    window.addEventListener('popstate', function () {
      if (moved) {  // old WebViews fire popstate on load too
        navigate(window.location.pathname + window.location.search, false);
      }
    }, false);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start, false);
  } else {
    start();
  }
}());
