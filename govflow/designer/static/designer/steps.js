/* The steps of a one thing in the designer (progressive enhancement; the page works without it).
 *
 * 1. Prerequisites at once: a procedure chosen in any row, an added one included, appears at once
 *    among the other rows' "after" checkboxes (and in the template of rows added later); a row
 *    never offers its own procedure. The server checks the same on saving (StepFormSet.clean).
 * 2. The condition builder: "Build a condition…" opens a dialog of clauses (field, comparison,
 *    value) joined by AND or OR. The CEL is written by the server (the catalog's rule), never here:
 *    each change asks the designer's condition/ address, and "Use this condition" puts its answer
 *    into the step's "when" input, which stays free CEL for experts.
 */
'use strict';
// The admin's two-box selector (the guide questions) labels its filter icons with aria-label on a
// plain span, which assistive technology may ignore: give them the image role the label needs.
// The selector is built by another load listener, maybe registered after this one: run after it.
window.addEventListener('load', () => window.setTimeout(() => {
  document.querySelectorAll('.selector .search-label-icon[aria-label]:not([role])').forEach((icon) => {
    icon.setAttribute('role', 'img');
  });
}, 0));

function govflowSteps() {
  const dataNode = document.getElementById('govflow-builder-data');
  const group = document.getElementById('steps-group');
  if (!dataNode || !group) {
    return;
  }
  const data = JSON.parse(dataNode.textContent);

  // -- 1. prerequisites ------------------------------------------------------------------------

  const rows = () => Array.from(group.querySelectorAll('tr.form-row'));
  const codeOf = (row) => {
    const select = row.querySelector('select[name$="-procedure"]');
    return select ? data.procedures[select.value] || null : null;
  };

  function addChoice(box, code) {
    const name = box.id.replace(/^id_/, '');
    const index = box.querySelectorAll('input[type=checkbox]').length;
    const wrap = document.createElement('div');
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.name = name;
    input.value = code;
    input.id = `${box.id}_${index}`;
    label.htmlFor = input.id;
    label.append(input, ` ${code}`);
    wrap.append(label);
    wrap.dataset.added = '1';
    box.append(wrap);
  }

  function refreshPrerequisites() {
    const all = rows();
    const chosen = all.filter((row) => !row.classList.contains('empty-form')).map(codeOf).filter(Boolean);
    for (const row of all) {
      const box = row.querySelector('td.field-after div[id$="-after"]');
      if (!box) {
        continue;
      }
      const own = row.classList.contains('empty-form') ? null : codeOf(row);
      const present = new Set(Array.from(box.querySelectorAll('input[type=checkbox]'), (input) => input.value));
      for (const code of chosen) {
        if (!present.has(code)) {
          addChoice(box, code);
        }
      }
      for (const input of box.querySelectorAll('input[type=checkbox]')) {
        const wrap = input.closest('div');
        if (wrap.dataset.added && !chosen.includes(input.value)) {
          wrap.remove();
          continue;
        }
        const mine = input.value === own;
        wrap.hidden = mine;
        if (mine) {
          input.checked = false;
        }
      }
    }
  }

  // The procedure is a select2 widget: it reports changes through jQuery, which native listeners miss.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(group).on('change', 'select[name$="-procedure"]', refreshPrerequisites);
  } else {
    group.addEventListener('change', refreshPrerequisites);
  }
  document.addEventListener('formset:added', refreshPrerequisites);
  document.addEventListener('formset:removed', refreshPrerequisites);
  refreshPrerequisites();

  // -- 2. the condition builder ----------------------------------------------------------------

  const dialog = document.getElementById('govflow-builder');
  const template = document.getElementById('govflow-clause-template');
  if (!dialog || !template || typeof dialog.showModal !== 'function') {
    return;  // no builder: the "when" input alone, as without JavaScript
  }
  const list = dialog.querySelector('[data-clauses]');
  const preview = dialog.querySelector('[data-preview]');
  const error = dialog.querySelector('[data-error]');
  const useButton = dialog.querySelector('[data-use]');
  const fields = new Map(data.fields.map((field) => [field.code, field]));
  let target = null;
  let written = null;
  let asked = 0;

  function fillFieldSelect(select) {
    for (const [group, label] of data.groups) {
      const members = data.fields.filter((field) => field.group === group);
      if (!members.length) {
        continue;
      }
      const optgroup = document.createElement('optgroup');
      optgroup.label = label;
      for (const field of members) {
        optgroup.append(new Option(field.label, field.code));
      }
      select.append(optgroup);
    }
  }

  function showValue(clause, values) {
    const field = fields.get(clause.querySelector('[data-field]').value);
    const operator = clause.querySelector('[data-operator]').value;
    const input = clause.querySelector('[data-value]');
    const choice = clause.querySelector('[data-choice]');
    const none = !field || operator === 'is_true' || operator === 'is_false';
    const isChoice = Boolean(field) && field.type === 'choice';
    clause.querySelector('[data-value-text]').hidden = none || isChoice;
    clause.querySelector('[data-value-choice]').hidden = none || !isChoice;
    const several = operator === 'in' || operator === 'not_in';
    if (isChoice) {
      const keep = values || Array.from(choice.selectedOptions, (option) => option.value);
      choice.multiple = several;  // first: a single select would keep only the last option selected
      choice.replaceChildren(...field.choices.map((c) => new Option(c.label, c.value, false, keep.includes(c.value))));
      choice.size = several ? Math.min(field.choices.length, 6) : 1;
    } else {
      input.type = field && field.type === 'date' && !several ? 'date' : 'text';
      if (values) {
        input.value = values.join(', ');
      }
    }
  }

  function showOperators(clause, chosen) {
    const field = fields.get(clause.querySelector('[data-field]').value);
    const select = clause.querySelector('[data-operator]');
    const previous = chosen || select.value;
    select.replaceChildren(...(field ? field.operators : []).map(([code, label]) => new Option(label, code)));
    if (Array.from(select.options).some((option) => option.value === previous)) {
      select.value = previous;
    }
  }

  function addClause(values) {
    const clause = template.content.firstElementChild.cloneNode(true);
    const fieldSelect = clause.querySelector('[data-field]');
    fillFieldSelect(fieldSelect);
    if (values) {
      fieldSelect.value = values.field;
    }
    showOperators(clause, values && values.operator);
    showValue(clause, values ? values.values : null);
    list.append(clause);
    return clause;
  }

  function clauseValues(clause) {
    const field = fields.get(clause.querySelector('[data-field]').value);
    const operator = clause.querySelector('[data-operator]').value;
    if (operator === 'is_true' || operator === 'is_false') {
      return [];
    }
    if (field && field.type === 'choice') {
      return Array.from(clause.querySelector('[data-choice]').selectedOptions, (option) => option.value);
    }
    const text = clause.querySelector('[data-value]').value;
    if (operator === 'in' || operator === 'not_in') {
      return text.split(/[,，、]/).map((part) => part.trim()).filter(Boolean);
    }
    return [text];
  }

  async function write() {
    const query = new URLSearchParams();
    query.set('join', dialog.querySelector('input[name=govflow-join]:checked').value);
    list.querySelectorAll('.govflow-clause').forEach((clause, index) => {
      query.set(`field-${index}`, clause.querySelector('[data-field]').value);
      query.set(`op-${index}`, clause.querySelector('[data-operator]').value);
      for (const value of clauseValues(clause)) {
        query.append(`value-${index}`, value);
      }
    });
    const ticket = ++asked;
    written = null;
    useButton.disabled = true;
    // A clause still waiting for its value is not an error yet: nothing to write, nothing to say.
    const waiting = Array.from(list.querySelectorAll('.govflow-clause')).some((clause) => {
      const operator = clause.querySelector('[data-operator]').value;
      return operator !== 'is_true' && operator !== 'is_false' && !clauseValues(clause).some((v) => v.trim());
    });
    if (waiting) {
      preview.textContent = '—';
      error.hidden = true;
      return;
    }
    let answer;
    try {
      const response = await fetch(`${data.url}?${query}`, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
      answer = await response.json();
    } catch (failure) {
      answer = {error: String(failure)};
    }
    if (ticket !== asked) {
      return;  // a later change asked again
    }
    written = answer.cel || null;
    preview.textContent = written || '—';
    error.textContent = answer.error || '';
    error.hidden = !answer.error;
    useButton.disabled = !written;
  }

  async function open(button) {
    // The input of the same cell (a row added from the template keeps no id in data attributes).
    target = button.closest('td').querySelector('input[name$="-when"]');
    if (!target) {
      return;
    }
    list.replaceChildren();
    written = null;
    preview.textContent = '—';
    error.hidden = true;
    const current = target.value.trim();
    const replaces = dialog.querySelector('[data-replaces]');
    replaces.hidden = true;
    const row = target.closest('tr');
    const select = row && row.querySelector('select[name$="-procedure"]');
    const name = select && select.selectedOptions.length ? select.selectedOptions[0].textContent.trim() : '';
    dialog.querySelector('[data-step-name]').textContent = name;
    let read = null;
    if (current) {
      try {
        const response = await fetch(`${data.url}?${new URLSearchParams({cel: current})}`,
          {credentials: 'same-origin', headers: {Accept: 'application/json'}});
        read = await response.json();
      } catch (failure) {
        read = null;
      }
    }
    if (read && read.clauses) {
      dialog.querySelector(`input[name=govflow-join][value=${read.join}]`).checked = true;
      read.clauses.forEach((clause) => addClause(clause));
    } else {
      if (current) {
        dialog.querySelector('[data-current]').textContent = current;
        replaces.hidden = false;
      }
      dialog.querySelector('input[name=govflow-join][value=and]').checked = true;
      addClause(null);
    }
    dialog.showModal();
    list.querySelector('[data-field]').focus();
    write();
  }

  list.addEventListener('change', (event) => {
    const clause = event.target.closest('.govflow-clause');
    if (event.target.matches('[data-field]')) {
      showOperators(clause, null);
      showValue(clause, []);
    } else if (event.target.matches('[data-operator]')) {
      showValue(clause, null);
    }
    write();
  });
  list.addEventListener('input', (event) => {
    if (event.target.matches('[data-value]')) {
      write();
    }
  });
  list.addEventListener('click', (event) => {
    if (event.target.matches('[data-remove]')) {
      const clause = event.target.closest('.govflow-clause');
      const next = clause.nextElementSibling || clause.previousElementSibling;
      clause.remove();
      if (!list.children.length) {
        addClause(null);
      }
      (next || list).querySelector('[data-field]').focus();
      write();
    }
  });
  dialog.querySelectorAll('input[name=govflow-join]').forEach((radio) => radio.addEventListener('change', write));
  dialog.querySelector('[data-add-clause]').addEventListener('click', () => {
    addClause(null).querySelector('[data-field]').focus();
    write();
  });
  dialog.querySelector('[data-cancel]').addEventListener('click', () => dialog.close());
  useButton.addEventListener('click', () => {
    if (!written || !target) {
      return;
    }
    target.value = written;
    target.dispatchEvent(new Event('input', {bubbles: true}));
    target.dispatchEvent(new Event('change', {bubbles: true}));
    dialog.close();
  });
  dialog.addEventListener('close', () => {
    if (target) {
      target.focus();
    }
  });

  // The buttons are in the rows' markup, hidden until this script can run them.
  const showButtons = () => group.querySelectorAll('.govflow-build').forEach((button) => {
    button.hidden = false;
  });
  group.addEventListener('click', (event) => {
    const button = event.target.closest('.govflow-build');
    if (button) {
      event.preventDefault();
      open(button);
    }
  });
  document.addEventListener('formset:added', showButtons);
  showButtons();
}

// The admin puts its media in the page's head: wait for the rows.
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', govflowSteps);
} else {
  govflowSteps();
}
