import { describe, expect, it } from 'vitest';

import { newJamboardDraft } from '../kinds/jamboard/draft';
import { newScaleDraft, resizePoints, type ScaleActivity, type ScaleDraft } from '../kinds/scale/draft';
import { newWordCloudDraft, splitWords } from '../kinds/wordcloud/draft';
import { agendaProblems, draftProblems, fromDraft, toDraft } from './agenda';
import { board, cloud, scale } from './fixtures';

const scaleDraft = (activity: ScaleActivity) => toDraft(activity) as ScaleDraft;
const asScale = (activity: ReturnType<typeof fromDraft>) => activity as ScaleActivity;

describe('agenda drafts', () => {
  it('round-trips an activity and keeps its id', () => {
    const back = fromDraft(toDraft(scale));
    expect(back).toEqual(scale);
  });

  it('turns a new draft into an activity without an id, trimmed', () => {
    const draft = newScaleDraft();
    draft.title = '  Feelings ';
    draft.statements = [' I understand ', 'I can'];
    draft.labelMin = ' ';
    draft.labelMax = 'Completely';
    draft.rounds = ['Before', 'After'];
    expect(fromDraft(draft)).toEqual({
      id: '',
      kind: 'scale',
      title: 'Feelings',
      statements: ['I understand', 'I can'],
      min: 1,
      max: 5,
      labels: { min: null, max: 'Completely', points: [] },
      rounds: ['Before', 'After'],
    });
  });

  it('shows the default round as no rounds, and sends it back as none', () => {
    const draft = scaleDraft({ ...scale, rounds: ['Answers'] });
    expect(draft.rounds).toEqual([]);
    expect(asScale(fromDraft(draft)).rounds).toEqual([]);
  });

  it('drops per-point labels that no longer fit the range', () => {
    const draft = scaleDraft({ ...scale, min: 1, max: 3, labels: { min: null, max: null, points: ['a', 'b', 'c'] } });
    expect(asScale(fromDraft(draft)).labels.points).toEqual(['a', 'b', 'c']);
    draft.max = 4;
    expect(asScale(fromDraft(draft)).labels.points).toEqual([]);
  });

  it('sizes words for every point to the range, starting from the end labels', () => {
    expect(resizePoints([], 5, { min: 'Not at all', max: 'Completely' })).toEqual([
      'Not at all',
      '',
      '',
      '',
      'Completely',
    ]);
    expect(resizePoints(['a', 'b', 'c', 'd', 'e'], 3)).toEqual(['a', 'b', 'c']);
    expect(resizePoints(['a', 'b'], 4)).toEqual(['a', 'b', '', '']);
    expect(resizePoints(['a'], 0)).toEqual([]);
  });

  it('sends words for every point trimmed, and asks for all of them', () => {
    const draft = newScaleDraft();
    draft.statements = ['I understand the term'];
    draft.min = 1;
    draft.max = 3;
    draft.points = [' Disagree ', '', 'Agree'];
    expect(draftProblems(draft)).toEqual(['Point 2 has no words.']);
    draft.points[1] = 'Unsure';
    expect(draftProblems(draft)).toEqual([]);
    expect(asScale(fromDraft(draft)).labels.points).toEqual(['Disagree', 'Unsure', 'Agree']);
    draft.points = [];
    expect(asScale(fromDraft(draft)).labels.points).toEqual([]);
  });

  it('explains what is wrong in plain words', () => {
    const draft = newScaleDraft();
    expect(draftProblems(draft)).toEqual(['Statement 1 is empty.']);
    draft.statements = ['ok'];
    draft.min = 5;
    draft.max = 1;
    expect(draftProblems(draft)).toEqual(['The lowest point must be 0 or more and below the highest point.']);
    draft.min = 0;
    draft.max = 11;
    expect(draftProblems(draft)[0]).toMatch(/at most 11 points/);
    draft.max = 10;
    draft.rounds = ['Before', 'Before', ' '];
    expect(draftProblems(draft)).toEqual(['The round "Before" is named twice.', 'Round 3 has no name.']);
    draft.rounds = [];
    draft.statements = new Array(11).fill('s');
    expect(draftProblems(draft)).toEqual(['A scale can have at most 10 statements.']);
  });

  it('numbers problems by activity', () => {
    const good = toDraft(scale);
    const bad = newScaleDraft();
    expect(agendaProblems([good, bad])).toEqual(['Activity 2: Statement 1 is empty.']);
    expect(agendaProblems([])).toEqual([]);
  });

  it('round-trips a word cloud, stop words as a list', () => {
    expect(fromDraft(toDraft({ ...cloud, stop_words: ['co-production', 'coproduction'] }))).toEqual({
      ...cloud,
      stop_words: ['co-production', 'coproduction'],
    });
    expect(splitWords(' a, b\n\nc ,a ')).toEqual(['a', 'b', 'c']);
  });

  it('checks a word cloud', () => {
    const draft = newWordCloudDraft();
    expect(fromDraft(draft)).toMatchObject({ kind: 'wordcloud', id: '', max_entries: 3, profanity_filter: true });
    expect(draftProblems(draft)).toEqual(['The question is empty.']);
    draft.prompt = 'A word?';
    draft.maxEntries = 11;
    expect(draftProblems(draft)).toEqual(['Allow each person 1 to 10 entries.']);
    draft.maxEntries = 1;
    expect(draftProblems(draft)).toEqual([]);
  });

  it('round-trips and checks a jam board', () => {
    expect(fromDraft(toDraft(board))).toEqual(board);
    const draft = newJamboardDraft();
    expect(draftProblems(draft)).toEqual(['Frame 1 has no title.']);
    draft.frames = ['Barriers'];
    draft.dots = 21;
    expect(draftProblems(draft)).toEqual(['Give each person 0 to 20 dots.']);
  });

  it('keeps an activity of a kind it cannot edit exactly as it is', () => {
    const future = { id: 'q1', kind: 'quiz', question: '2 + 2?' } as unknown as Parameters<typeof toDraft>[0];
    const draft = toDraft(future);
    expect(draft.kind).toBe('other');
    expect(fromDraft(draft)).toEqual(future);
    expect(draftProblems(draft)).toEqual([]);
  });

  it('refuses a cleared number field', () => {
    const draft = scaleDraft(scale);
    (draft as { min: number | null }).min = null;
    expect(draftProblems(draft)).toEqual(['The lowest and highest points must be whole numbers.']);
  });
});
