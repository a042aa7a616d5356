/**
 * The pure half of the seccomp compiler (lib/seccomp/profile.ts): spec names to libseccomp
 * numbers, runc's rule-splitting, and every refusal naming its JSON pointer. No libseccomp needed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actionValue, planProfile, SCMP_ACT, supportedActions } from '../../lib/seccomp/profile';
import type { Seccomp } from '../../lib/spec/types';

const act = (name: string, errno?: number): number => actionValue(name, errno, '/a', '/e');

describe('seccomp actions', () => {
  test('map to libseccomp values; KILL is KILL_THREAD', () => {
    assert.equal(act('SCMP_ACT_KILL'), 0);
    assert.equal(act('SCMP_ACT_KILL_THREAD'), 0);
    assert.equal(act('SCMP_ACT_KILL_PROCESS'), 0x80000000);
    assert.equal(act('SCMP_ACT_TRAP'), 0x00030000);
    assert.equal(act('SCMP_ACT_ALLOW'), 0x7fff0000);
    assert.equal(act('SCMP_ACT_LOG'), 0x7ffc0000);
  });

  test('ERRNO and TRACE carry errnoRet, EPERM when absent (as runc)', () => {
    assert.equal(act('SCMP_ACT_ERRNO'), SCMP_ACT.ERRNO | 1);
    assert.equal(act('SCMP_ACT_ERRNO', 38), SCMP_ACT.ERRNO | 38);
    assert.equal(act('SCMP_ACT_ERRNO', 0), SCMP_ACT.ERRNO);
    assert.equal(act('SCMP_ACT_TRACE'), (SCMP_ACT.TRACE | 1) >>> 0);
    assert.equal(act('SCMP_ACT_TRACE', 7), (SCMP_ACT.TRACE | 7) >>> 0);
  });

  test('errnoRet on an action without an errno is refused, naming the field', () => {
    assert.throws(() => actionValue('SCMP_ACT_ALLOW', 1, '/x/action', '/x/errnoRet'), /config\.json \/x\/errnoRet: can only be set for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_ALLOW/);
    assert.throws(() => act('SCMP_ACT_ERRNO', 70000), /\/e: must be an integer between 0 and 65535/);
  });

  test('NOTIFY is the user-notification action; features lists exactly the applied actions', () => {
    assert.equal(act('SCMP_ACT_NOTIFY'), SCMP_ACT.NOTIFY);
    assert.deepEqual(supportedActions(), [
      'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG',
      'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP',
    ]);
  });
});

describe('planProfile', () => {
  const profile = (patch: Partial<Seccomp> = {}): Seccomp => ({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
    ...patch,
  });

  test('default action with defaultErrnoRet, archs by libseccomp name, flags OR-ed', () => {
    const p = planProfile(profile({ flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'] }));
    assert.equal(p.defaultAction, SCMP_ACT.ERRNO | 38);
    assert.deepEqual(p.archs.map((a) => a.name), ['x86_64', 'x86', 'x32']);
    assert.equal(p.flags, 2 | 4 | 1);
    assert.deepEqual(p.rules.map((r) => [r.name, r.action, r.conditions.length]), [['read', 0x7fff0000, 0], ['write', 0x7fff0000, 0]]);
  });

  test('rules equal to the default action are skipped', () => {
    const p = planProfile(profile({ syscalls: [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }, { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    assert.deepEqual(p.rules.map((r) => r.name), ['mount']);
  });

  test('conditions on distinct arguments are AND-ed in one rule; a repeated argument splits them (runc)', () => {
    const and = planProfile(profile({ syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [
      { index: 0, value: 16, op: 'SCMP_CMP_EQ' }, { index: 2, value: 9, op: 'SCMP_CMP_NE' },
    ] }] }));
    assert.equal(and.rules.length, 1);
    assert.deepEqual(and.rules[0]!.conditions, [{ index: 0, op: 4, datumA: 16n, datumB: 0n }, { index: 2, op: 1, datumA: 9n, datumB: 0n }]);

    const or = planProfile(profile({ syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [
      { index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }, { index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' },
    ] }] }));
    assert.deepEqual(or.rules.map((r) => r.conditions.map((c) => c.datumA)), [[0n], [8n], [4294967295n]]);
  });

  test('every operator maps to SCMP_CMP_*; MASKED_EQ takes value as mask and valueTwo as datum', () => {
    const ops = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
    const p = planProfile(profile({ syscalls: ops.map((op) => ({ names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0x10, valueTwo: 0x10, op }] })) }));
    assert.deepEqual(p.rules.map((r) => r.conditions[0]!.op), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(p.rules[6]!.conditions[0], { index: 1, op: 7, datumA: 0x10n, datumB: 0x10n });
  });

  test('refusals name the field', () => {
    const cases: Array<[Partial<Seccomp>, RegExp]> = [
      [{ listenerMetadata: 'x' }, /\/linux\/seccomp\/listenerMetadata: must not be set without listenerPath/],
      [{ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/run/agent.sock' }, /\/linux\/seccomp\/defaultAction: SCMP_ACT_NOTIFY cannot be the default action/],
      [{ listenerPath: '/a.sock', syscalls: [{ names: ['read', 'sendmsg'], action: 'SCMP_ACT_NOTIFY' }] }, /\/linux\/seccomp\/syscalls\/0\/names\/1: SCMP_ACT_NOTIFY cannot be used for sendmsg/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }, /\/linux\/seccomp\/defaultErrnoRet: can only be set/],
      [{ flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, /\/linux\/seccomp\/flags\/0: only applies when a rule uses SCMP_ACT_NOTIFY/],
      [{ flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_BOGUS'] }, /\/linux\/seccomp\/flags\/1: unknown seccomp filter flag/],
      [{ architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX'] }, /\/linux\/seccomp\/architectures\/1: unknown seccomp architecture "SCMP_ARCH_VAX"/],
      [{ syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }, /\/linux\/seccomp\/listenerPath: is required: \/linux\/seccomp\/syscalls\/0\/action is SCMP_ACT_NOTIFY/],
      [{ syscalls: [{ names: ['read'], action: 'SCMP_ACT_LOG', errnoRet: 5 }] }, /\/linux\/seccomp\/syscalls\/0\/errnoRet/],
      [{ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }, /\/linux\/seccomp\/syscalls\/0\/args\/0\/index: must be between 0 and 5/],
      [{ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] }] }, /\/args\/0\/value: .* cannot be read exactly/],
      [{ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_XX' }] }] }, /\/args\/0\/op: unknown seccomp operator/],
      [{ syscalls: [{ names: ['read', ''], action: 'SCMP_ACT_ALLOW' }] }, /\/linux\/seccomp\/syscalls\/0\/names\/1: must be a system call name/],
    ];
    for (const [patch, re] of cases) assert.throws(() => planProfile(profile(patch)), re, JSON.stringify(patch));
  });
});
