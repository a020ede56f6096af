"""The policy defaults as a Markdown table, for the README.

The table is generated from ``list_rules()`` so that the documentation
cannot drift from the code (a test compares them)::

    python -m panko_clone.policy.doc                  # print the table
    python -m panko_clone.policy.doc --update README.md

``--update`` rewrites only what lies between the ``BEGIN`` and ``END``
markers below, leaving the rest of the file alone.
"""

import argparse
import sys

from panko_clone import policy

BEGIN = '<!-- policy-table: begin (python -m panko_clone.policy.doc) -->'
END = '<!-- policy-table: end -->'

HEADER = ('| Rule | Default check string | Scope types | Operations |\n'
          '| --- | --- | --- | --- |\n')

# How an empty check string (anyone authenticated) is written.
EMPTY_CHECK = '""'


def _cell(text):
    """Markdown table cell text: a pipe would end the cell."""
    return text.replace('|', '\\|')


def _code(text):
    return '`%s`' % _cell(text)


def row(rule):
    """One table row for a ``RuleDefault``."""
    operations = getattr(rule, 'operations', None) or []
    ops = '<br>'.join('%s %s' % (op['method'], _cell(op['path']))
                      for op in operations)
    return '| %s | %s | %s | %s |\n' % (
        _code(rule.name),
        _code(rule.check_str or EMPTY_CHECK),
        ', '.join(rule.scope_types or ()),
        ops)


def table(rules=None):
    """The whole table, header included, one row per rule in order."""
    rules = policy.list_rules() if rules is None else rules
    return HEADER + ''.join(row(rule) for rule in rules)


def block():
    """The table between its markers, as it appears in the README."""
    return '%s\n%s%s\n' % (BEGIN, table(), END)


def replace_block(text):
    """``text`` with the marked table replaced by the current one."""
    start = text.find(BEGIN)
    end = text.find(END, start)
    if start < 0 or end < 0:
        raise ValueError('no policy table markers (%s ... %s)'
                         % (BEGIN, END))
    end += len(END)
    if text[end:end + 1] == '\n':
        end += 1
    return text[:start] + block() + text[end:]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m panko_clone.policy.doc',
        description='Print the policy defaults as a Markdown table, or '
                    'refresh the table in a file between its markers.')
    parser.add_argument('--update', metavar='FILE',
                        help='rewrite the marked table in FILE in place')
    args = parser.parse_args(argv)
    if not args.update:
        sys.stdout.write(table())
        return 0
    with open(args.update, encoding='utf-8') as f:
        text = f.read()
    try:
        updated = replace_block(text)
    except ValueError as err:
        parser.error(str(err))
    if updated != text:
        with open(args.update, 'w', encoding='utf-8') as f:
            f.write(updated)
    return 0


if __name__ == '__main__':
    sys.exit(main())
