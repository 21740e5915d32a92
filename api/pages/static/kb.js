// Autocomplete for the search box: the labels GET /terms?prefix= gives, as the input's datalist. Without
// this script the box is a plain search form.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest]");
  if (!input || !window.fetch) return;
  var list = document.getElementById(input.getAttribute("list"));
  var pending = null;
  input.addEventListener("input", function () {
    var typed = input.value.trim();
    if (pending) clearTimeout(pending);
    if (!typed) return;
    pending = setTimeout(function () {
      var url = input.dataset.suggest + "?limit=8&prefix=" + encodeURIComponent(typed);
      fetch(url, {headers: {Accept: "application/json"}}).then(function (r) {
        return r.ok ? r.json() : {terms: []};
      }).then(function (answer) {
        list.replaceChildren.apply(list, (answer.terms || []).map(function (term) {
          var option = document.createElement("option");
          option.value = term.label;  // text, never HTML
          return option;
        }));
      }).catch(function () {});
    }, 150);
  });
})();
