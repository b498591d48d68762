/*
 * Light/dark theme, loaded (blocking, tiny) in <head> of every page so the first paint already has the right
 * colours. The theme follows the system (prefers-color-scheme) until the visitor picks one with a
 * [data-theme-toggle] button; the choice is kept in localStorage. Choosing the system's own theme again goes
 * back to following the system.
 */
(function () {
  'use strict';
  var KEY = 'flashsale.theme';
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

  function stored() {
    try {
      var v = localStorage.getItem(KEY);
      return v === 'dark' || v === 'light' ? v : null;
    } catch (e) {
      return null;
    }
  }
  function system() {
    return media && media.matches ? 'dark' : 'light';
  }
  function current() {
    return stored() || system();
  }
  function syncButtons(theme) {
    var next = theme === 'dark' ? 'light' : 'dark';
    var buttons = document.querySelectorAll('[data-theme-toggle]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute('aria-label', 'Switch to ' + next + ' theme');
      buttons[i].setAttribute('title', 'Switch to ' + next + ' theme');
      buttons[i].setAttribute('data-current', theme);
    }
  }
  function apply() {
    var theme = current();
    root.setAttribute('data-theme', theme);
    root.style.colorScheme = theme;
    syncButtons(theme);
    try {
      document.dispatchEvent(new CustomEvent('themechange', { detail: theme }));
    } catch (e) {
      /* very old browsers: nothing listens then anyway */
    }
  }
  function toggle() {
    var next = current() === 'dark' ? 'light' : 'dark';
    try {
      if (next === system()) localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, next);
    } catch (e) {
      /* storage refused (private mode): the choice lasts for this page only */
      root.setAttribute('data-theme', next);
      return;
    }
    apply();
  }

  apply();
  if (media) {
    var onChange = function () {
      if (!stored()) apply();
    };
    if (media.addEventListener) media.addEventListener('change', onChange);
    else if (media.addListener) media.addListener(onChange);
  }
  window.addEventListener('storage', function (e) {
    if (e.key === KEY) apply();
  });
  document.addEventListener('DOMContentLoaded', function () {
    syncButtons(current());
    document.addEventListener('click', function (e) {
      var button = e.target && e.target.closest ? e.target.closest('[data-theme-toggle]') : null;
      if (button) toggle();
    });
  });
  window.FlashsaleTheme = { toggle: toggle, current: current };
})();
