"""The policy in code, seen through oslo.policy's own tools and the README.

The ``oslopolicy-*`` commands run as subprocesses from the environment's
``bin`` directory, finding panko_clone through its entry points
(``oslo.policy.policies`` and ``oslo.policy.enforcer``), exactly as an
operator runs them.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml
from oslo_policy import policy as oslo_policy

from panko_clone import policy
from panko_clone.policy import doc
from tests.api import personas

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent

# The rules the contract names, with its defaults.
CONTRACT_RULES = {
    'context_is_admin': 'role:admin',
    'segregation': 'rule:context_is_admin or '
                   '(role:reader and system_scope:all)',
    'telemetry:events:index': '',
    'telemetry:events:show': '',
    'telemetry:events:create': 'rule:context_is_admin or role:service',
    'telemetry:events:delete': 'rule:context_is_admin',
}


def run(tool, *args, cwd):
    """Run an oslo.policy command; its stdout. Fails on a non-zero exit.

    HOME and the working directory are a fresh temporary directory, so
    no configuration or policy file of the machine is picked up.
    """
    env = dict(os.environ, HOME=str(cwd))
    proc = subprocess.run([str(BIN / tool)] + [str(a) for a in args],
                          cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    return proc.stdout


def defaults():
    return {rule.name: rule.check_str for rule in policy.list_rules()}


# --------------------------------------------------------- the rules


def test_every_contract_rule_has_its_contract_default():
    rules = defaults()
    for name, check in CONTRACT_RULES.items():
        assert rules[name] == check, name


def test_every_rule_is_documented_with_scope():
    rules = policy.list_rules()
    assert len({r.name for r in rules}) == len(rules)
    for rule in rules:
        assert isinstance(rule, oslo_policy.DocumentedRuleDefault), rule
        assert rule.description and rule.operations, rule.name
        assert rule.scope_types, rule.name
        assert set(rule.scope_types) <= {'project', 'system'}, rule.name


def test_segregation_accepts_project_tokens():
    """Panko 10 declared it system-only: project admins were locked out
    once scope was enforced."""
    [segregation] = [r for r in policy.list_rules()
                     if r.name == policy.SEGREGATION]
    assert set(segregation.scope_types) == {'project', 'system'}


def test_check_strings_parse_and_refer_to_known_rules():
    names = set(defaults())
    parsed = oslo_policy.Rules.from_dict(defaults())
    for rule in policy.list_rules():
        # oslo.policy turns a check string it cannot parse into "!".
        assert str(parsed[rule.name]) != '!', rule.name
        for word in rule.check_str.replace('(', ' ').split():
            if word.startswith('rule:'):
                assert word[len('rule:'):] in names, (rule.name, word)


def test_enforcers_are_per_configuration():
    from tests.helpers import make_conf

    conf_a, conf_b = make_conf('memory://'), make_conf('memory://')
    try:
        a, b = policy.get_enforcer(conf_a), policy.get_enforcer(conf_b)
        assert a is not b and a.conf is conf_a and b.conf is conf_b
        assert set(a.registered_rules) == set(defaults())
    finally:
        conf_a.reset()
        conf_b.reset()


def test_a_request_decides_on_one_look_at_the_policy_file(tmp_path):
    from oslo_context import context

    from tests.helpers import make_conf
    from tests.helpers import write_policy

    path = tmp_path / 'policy.yaml'
    write_policy(path, '{}\n')
    conf = make_conf('memory://')
    conf.set_override('policy_file', str(path), 'oslo_policy')
    try:
        enforcer = policy.get_enforcer(conf)
        ctx = context.RequestContext(user_id='u', project_id='p',
                                     roles=['reader'])
        target = {'project_id': 'p', 'user_id': 'u'}

        def allowed():
            return enforcer.enforce(policy.EVENTS_INDEX, target, ctx)

        enforcer.begin_request()
        assert allowed()
        write_policy(path, '"telemetry:events:index": "!"\n')
        # The rest of the request keeps the rules it first looked at.
        assert allowed()
        enforcer.end_request()
        # Outside a request every check looks, as oslo.policy's does.
        assert not allowed()
        write_policy(path, '{}\n')
        assert allowed()
        write_policy(path, '"telemetry:events:index": "!"\n')
        # The next request looks again.
        enforcer.begin_request()
        assert not allowed()
        enforcer.end_request()
    finally:
        conf.reset()


# ------------------------------------------------ oslopolicy-* tools


def sample_entries(text):
    """``{name: check}`` of the commented-out rules in a sample file."""
    entries = {}
    for line in text.splitlines():
        if line.startswith('#"'):
            entries.update(yaml.safe_load(line[1:]))
    return entries


def test_sample_generator_lists_every_rule(tmp_path):
    out = run('oslopolicy-sample-generator', '--namespace', 'panko_clone',
              cwd=tmp_path)
    assert sample_entries(out) == defaults()
    for rule in policy.list_rules():
        assert rule.description.split()[0] in out
        for op in rule.operations:
            assert '# %s  %s' % (op['method'], op['path']) in out
    assert '# Intended scope(s): project, system' in out


def test_sample_generator_config_file_in_etc(tmp_path):
    out_file = tmp_path / 'policy.yaml.sample'
    run('oslopolicy-sample-generator', '--config-file',
        ROOT / 'etc' / 'panko_clone-policy-generator.conf',
        '--output-file', out_file, cwd=tmp_path)
    assert sample_entries(out_file.read_text()) == defaults()


def test_policy_generator_shows_effective_policy(tmp_path):
    out = run('oslopolicy-policy-generator', '--namespace', 'panko_clone',
              cwd=tmp_path)
    assert yaml.safe_load(out) == defaults()


def test_policy_generator_merges_an_operator_file(tmp_path):
    override = tmp_path / 'policy.yaml'
    override.write_text('"telemetry:events:whole_project": "role:reader"\n')
    conf_file = tmp_path / 'panko_clone.conf'
    conf_file.write_text('[oslo_policy]\npolicy_file = %s\n' % override)
    out = run('oslopolicy-policy-generator', '--namespace', 'panko_clone',
              '--config-file', conf_file, cwd=tmp_path)
    expected = dict(defaults())
    expected['telemetry:events:whole_project'] = 'role:reader'
    assert yaml.safe_load(out) == expected


def write_access(tmp_path, persona):
    path = tmp_path / ('%s.json' % persona)
    path.write_text(json.dumps(personas.PERSONAS[persona].token()))
    return path


def checker(tmp_path, policy_file, persona, rule=None):
    """``{rule: passed?}`` as oslopolicy-checker reports it."""
    args = ['--policy', policy_file,
            '--access', write_access(tmp_path, persona)]
    if rule:
        args += ['--rule', rule]
    out = run('oslopolicy-checker', *args, cwd=tmp_path)
    results = {}
    for line in out.splitlines():
        verdict, _, name = line.partition(': ')
        assert verdict in ('passed', 'failed'), out
        results[name] = verdict == 'passed'
    return results


@pytest.fixture
def effective_policy(tmp_path):
    """The defaults, written out by oslopolicy-policy-generator."""
    path = tmp_path / 'effective.yaml'
    run('oslopolicy-policy-generator', '--namespace', 'panko_clone',
        '--output-file', path, cwd=tmp_path)
    return path


@pytest.mark.parametrize('persona, unrestricted', [
    ('project-admin', True), ('system-admin', True),
    ('system-reader', True), ('project-member', False),
    ('project-reader', False), ('service', False),
])
def test_checker_segregation_per_persona(tmp_path, effective_policy,
                                         persona, unrestricted):
    assert checker(tmp_path, effective_policy, persona, 'segregation') == {
        'segregation': unrestricted}


def test_checker_api_rules_for_a_member_and_the_service(tmp_path,
                                                        effective_policy):
    member = checker(tmp_path, effective_policy, 'project-member')
    assert member == {
        'telemetry:events:index': True,
        'telemetry:events:show': True,
        'telemetry:events:create': False,
        'telemetry:events:delete': False,
        'telemetry:events:whole_project': False,
    }
    service = checker(tmp_path, effective_policy, 'service')
    assert service['telemetry:events:create'] is True
    assert service['telemetry:events:delete'] is False


def test_checker_with_an_operator_override(tmp_path):
    override = tmp_path / 'policy.yaml'
    override.write_text(yaml.safe_dump(dict(
        defaults(), **{'telemetry:events:whole_project': 'role:reader'})))
    assert checker(tmp_path, override, 'project-reader',
                   'telemetry:events:whole_project') == {
        'telemetry:events:whole_project': True}
    assert checker(tmp_path, override, 'service',
                   'telemetry:events:whole_project') == {
        'telemetry:events:whole_project': False}


# --------------------------------------------------------- the README


def readme():
    return (ROOT / 'README.md').read_text(encoding='utf-8')


def table_rows(text):
    """(name, check, scope types) of each row of the README's table."""
    start = text.index(doc.BEGIN) + len(doc.BEGIN)
    lines = text[start:text.index(doc.END, start)].strip().splitlines()
    assert lines[:2] == doc.HEADER.splitlines()
    rows = []
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip().strip('|').split(' | ')]
        name, check, scopes = cells[0], cells[1], cells[2]
        assert name[0] == name[-1] == check[0] == check[-1] == '`', line
        check = check[1:-1]
        rows.append((name[1:-1], '' if check == doc.EMPTY_CHECK else check,
                     [s.strip() for s in scopes.split(',')]))
    return rows


def test_readme_policy_table_matches_the_code():
    assert table_rows(readme()) == [
        (r.name, r.check_str, list(r.scope_types))
        for r in policy.list_rules()]
    # and is exactly what the generator writes
    assert doc.block() in readme()


def test_doc_command_regenerates_a_stale_table(tmp_path):
    stale = readme().replace('`role:admin`', '`role:root`', 1)
    assert stale != readme()
    path = tmp_path / 'README.md'
    path.write_text(stale, encoding='utf-8')
    subprocess.run([sys.executable, '-m', 'panko_clone.policy.doc',
                    '--update', str(path)], check=True, cwd=ROOT)
    assert path.read_text(encoding='utf-8') == readme()
    printed = subprocess.run([sys.executable, '-m', 'panko_clone.policy.doc'],
                             check=True, cwd=ROOT, capture_output=True,
                             text=True).stdout
    assert printed == doc.table()


def test_readme_override_examples_name_real_rules():
    text = readme()
    section = text[text.index('\n## Policy\n'):]
    section = section[:section.index('\n## ', 1)]
    blocks = {'yaml': [], 'json': []}
    for chunk in section.split('```')[1::2]:
        lang, _, body = chunk.partition('\n')
        if lang in blocks:
            blocks[lang].append(body)
    assert blocks['yaml'] and blocks['json']
    names = set(defaults())
    for body in blocks['yaml']:
        rules = yaml.safe_load(body)
        assert rules and set(rules) <= names, rules
    for body in blocks['json']:
        rules = json.loads(body)
        assert rules and set(rules) <= names, rules
