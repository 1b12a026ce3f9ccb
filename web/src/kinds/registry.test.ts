import { describe, expect, it } from 'vitest';

import { aggregate, board, cloud, notes, scale, words } from '../lib/fixtures';
import type { Activity, Aggregate } from '../lib/protocol';
import { KINDS, activityRounds, activityTitle, kindName, kindNamed, kindOf, summariseResults } from './registry';

const samples: Record<string, { activity: Activity; data: Aggregate }> = {
  scale: { activity: scale, data: aggregate },
  wordcloud: { activity: cloud, data: words },
  jamboard: { activity: board, data: notes },
};

describe('the registry of kinds', () => {
  it('lists each kind once, with everything the pages render through', () => {
    const names = KINDS.map((entry) => entry.kind);
    expect(new Set(names).size).toBe(names.length);
    for (const entry of KINDS) {
      expect(kindNamed(entry.kind)).toBe(entry);
      expect(entry.name).not.toBe('');
      expect(entry.addLabel).not.toBe('');
      for (const part of ['Editor', 'Question', 'PhoneResults', 'Projector', 'Summary', 'ConsolePanel', 'Compact'] as const) {
        expect(entry[part], `${entry.kind}.${part}`).toBeTypeOf('function');
      }
    }
  });

  it('narrows results by their kind tag, not by the fields they carry', () => {
    for (const entry of KINDS) {
      const own = samples[entry.kind];
      if (!own) continue;
      expect(entry.results(own.data)).toBe(own.data);
      expect(entry.results(null)).toBeNull();
      for (const [other, sample] of Object.entries(samples)) {
        if (other !== entry.kind) expect(entry.results(sample.data), `${entry.kind} given ${other}`).toBeNull();
      }
    }
    // A scale's fields under another kind's tag are not a scale's results.
    const mislabelled = { ...aggregate, kind: 'wordcloud' } as unknown as Aggregate;
    expect(kindNamed('scale')?.results(mislabelled)).toBeNull();
  });

  it('turns each kind into its editor draft and back without change', () => {
    for (const { activity } of Object.values(samples)) {
      const entry = kindOf(activity);
      expect(entry, activity.kind).toBeDefined();
      const draft = entry?.toDraft(activity);
      expect(draft?.kind).toBe(activity.kind);
      expect(entry?.problems(draft)).toEqual([]);
      expect(entry?.fromDraft(draft)).toEqual(activity);
      const fresh = entry?.newActivity();
      expect(fresh?.kind).toBe(activity.kind);
      expect(fresh?.id).toBe('');
    }
  });

  it('says what each kind is, and summarises its results', () => {
    expect(kindName(scale)).toBe('Scale');
    expect(kindName(cloud)).toBe('Word cloud');
    expect(kindName(board)).toBe('Jam board');
    expect(activityTitle(cloud)).toBe(cloud.prompt);
    expect(activityRounds(scale)).toEqual(['Before', 'After']);
    expect(activityRounds(cloud)).toEqual([]);
    expect(summariseResults(cloud, words, null)).toContain('Most named: family 3');
    // Another kind's results say nothing rather than something wrong.
    expect(summariseResults(cloud, notes, null)).toBe('');
  });

  it('keeps a kind it does not know as a plain activity', () => {
    const future = { id: 'f1', kind: 'quiz', title: 'Which word?' } as unknown as Activity;
    expect(kindOf(future)).toBeUndefined();
    expect(kindName(future)).toBe('Activity');
    expect(activityTitle(future)).toBe('Which word?');
    expect(activityRounds(future)).toEqual([]);
    expect(summariseResults(future, aggregate, null)).toBe('');
  });
});

describe('the pages', () => {
  // Every page and helper in lib/, as text. Tests and test data name kinds, and protocol.ts
  // is generated from the server's types.
  const sources = import.meta.glob<string>(['../lib/*.ts', '../lib/*.svelte', '!../lib/*.test.ts', '!../lib/fixtures.ts', '!../lib/protocol.ts'], {
    query: '?raw',
    import: 'default',
    eager: true,
  });

  it('never branch on a kind: they go through the registry', () => {
    const found: string[] = [];
    for (const [name, text] of Object.entries(sources)) {
      for (const entry of KINDS) {
        if (text.includes(`'${entry.kind}'`) || text.includes(`"${entry.kind}"`)) found.push(`${name} names '${entry.kind}'`);
        if (text.includes(`kinds/${entry.kind}`)) found.push(`${name} imports from kinds/${entry.kind}`);
      }
    }
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    expect(Object.keys(sources)).toContain('../lib/Console.svelte');
    expect(found).toEqual([]);
  });
});
