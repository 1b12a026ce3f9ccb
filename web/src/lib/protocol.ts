// Generated from the Rust types in src/protocol.rs and src/activity/ by
// `UPDATE_PROTOCOL_TS=1 cargo test protocol_ts`. Do not edit by hand.

export type ClientMessage = { "type": "join", code: string, token?: string | null, } | { "type": "host", code: string, key: string, } | { "type": "present", code: string, key: string, } | { "type": "goto", id: number, activity: string | null, round?: string | null, } | { "type": "set_open", id: number, open: boolean, } | { "type": "reveal", id: number, show: boolean, } | { "type": "hide", id: number, activity: string, item: string, hidden: boolean, } | { "type": "merge", id: number, activity: string, from: string, into: string, } | { "type": "reset", id: number, activity: string, } | { "type": "close_session", id: number, } | { "type": "remove_silent", id: number, } | { "type": "show_summary_qr", id: number, show: boolean, } | { "type": "answer", id: number, activity: string, round?: string | null, statement?: number | null, value?: number | null, text?: string | null, 
/**
 * Multiple choice: the chosen options' indices.
 */
choices?: Array<number> | null, 
/**
 * Ranking: every item's index, first = top.
 */
order?: Array<number> | null, 
/**
 * Points: one whole number per item, adding up to at most the budget.
 */
points?: Array<number> | null, } | { "type": "entry_delete", id: number, activity: string, entry: string, } | { "type": "note_add", id: number, activity: string, frame: number, text: string, color: Color, } | { "type": "note_edit", id: number, activity: string, note: string, text: string, color?: Color | null, } | { "type": "note_delete", id: number, activity: string, note: string, } | { "type": "dot", id: number, activity: string, note: string, add: boolean, } | { "type": "move", id: number, activity: string, note: string, frame?: number | null, x: number, y: number, } | { "type": "theme", id: number, activity: string, theme?: number | null, name: string, } | { "type": "note_theme", id: number, activity: string, note: string, theme: number | null, } | { "type": "show_on_projector", id: number, show: boolean, } | { "type": "projector_page", id: number, page: number | null, } | { "type": "timer", id: number, seconds: number | null, stop_answers: boolean, } | { "type": "lock", id: number, activity: string, locked: boolean, } | { "type": "voting", id: number, activity: string, open: boolean, } | { "type": "group", id: number, group: number | null, } | { "type": "projector_groups", id: number, split: Split | null, };

export type ServerMessage = { "type": "welcome", protocol: number, participant_id: number, 
/**
 * Keep it (the web client uses localStorage) to resume as the same participant.
 */
token: string, title: string, state: SessionState, step: StepView, mine: Mine | null, 
/**
 * The address of "what we heard" (`/r/<id>`) if the organiser has published it.
 */
what_we_heard?: string | null, 
/**
 * The server's clock, in milliseconds since the Unix epoch, for timers.
 */
server_time: number, 
/**
 * The "About you" question, if the session asks one.
 */
about_you: AboutYouQuestion | null, 
/**
 * The participant's group now (null: none, or "prefer not to say").
 */
group: number | null, 
/**
 * Whether the participant has answered the question ("prefer not to say" included).
 */
group_chosen: boolean, } | { "type": "welcome_host", protocol: number, session: SessionInfo, server_time: number, } | { "type": "welcome_present", protocol: number, session: PresentInfo, server_time: number, } | { "type": "ack", id: number, } | { "type": "error", id: number | null, error: ErrorCode, message: string, } | { "type": "step" } & StepView | { "type": "results", activity: string, seq: number, data: Results, } | { "type": "mine" } & Mine | { "type": "counts", joined: number, online: number, took_part: number, answered: number, groups?: { [key in string]: Attendance }, not_said?: Attendance, } | { "type": "agenda", agenda: Array<Activity>, with_answers: Array<string>, } | { "type": "session_closed" } | { "type": "summary", activities: Array<ActivityResults>, } | { "type": "what_we_heard", url: string | null, };

export type SessionState = "live" | "closed";

export type StepView = { 
/**
 * The current activity, or null for the waiting screen.
 */
activity: Activity | null, 
/**
 * The current round's name, for scales.
 */
round: string | null, 
/**
 * Whether answers are accepted.
 */
open: boolean, 
/**
 * Whether participants see the live results.
 */
reveal: boolean, 
/**
 * Whether dot voting is on (a jam board): phones then get the board to vote on, whether
 * or not results are revealed.
 */
voting: boolean, 
/**
 * The activity's position in the agenda (0-based), null on the waiting screen.
 */
index: number | null, 
/**
 * How many activities the agenda has.
 */
total: number, 
/**
 * Whether the projector shows the current activity's results (see `show_on_projector`).
 */
projector: boolean, 
/**
 * The projector page the facilitator turned to; null: pages turn by themselves.
 */
page: number | null, 
/**
 * The countdown on the current activity, if one was started.
 */
timer: TimerView | null, 
/**
 * Other activities whose answers are still open: a phone may finish one of them while
 * the room has moved on (answers stay open until the facilitator stops them or the
 * round changes).
 */
still_open: Array<string>, 
/**
 * What the projector shows of the groups (see `projector_groups`): null = everyone only.
 */
split: Split | null, 
/**
 * The address of "what we heard" (`/r/<id>`) while the facilitator shows its QR code on
 * the projector (`show_summary_qr`); null otherwise.
 */
summary_qr?: string | null, };

export type TimerView = { 
/**
 * The countdown's length.
 */
seconds: number, 
/**
 * When it reaches zero, in milliseconds since the Unix epoch on the server's clock
 * (the welcome messages carry `server_time` to correct a client's clock by).
 */
ends_at: number, 
/**
 * Whether answers stop at zero.
 */
stop_answers: boolean, };

export type ActivityResults = { activity: Activity, data: Results, };

export type Mine = { activity: string, round: string | null, 
/**
 * Scale: the saved value per statement, null where the participant has not answered.
 */
values: Array<number | null>, 
/**
 * Word cloud: the participant's entries, oldest first.
 */
entries: Array<OwnEntry>, 
/**
 * Jam board: the participant's notes, oldest first.
 */
notes: Array<OwnNote>, 
/**
 * Jam board: the notes the participant's dots are on, one id per dot.
 */
dots: Array<string>, 
/**
 * Multiple choice: the options chosen.
 */
choices: Array<number>, 
/**
 * Ranking: the items in the order given, first = top.
 */
order: Array<number>, 
/**
 * Points: per item.
 */
points: Array<number>, };

export type SessionInfo = { code: string, title: string, state: SessionState, 
/**
 * The series this session belongs to (its first session's code).
 */
series: string, 
/**
 * Milliseconds since the Unix epoch.
 */
created_at: number, closed_at: number | null, agenda: Array<Activity>, step: StepView, 
/**
 * Participants who have joined so far (opened the join link).
 */
participants: number, 
/**
 * Participants who answered at least once.
 */
took_part: number, 
/**
 * Activities that have answers (they cannot be removed from the agenda).
 */
with_answers: Array<string>, join_url: string, 
/**
 * The presenter key, so that the console can open the projector view.
 */
present_key: string, 
/**
 * The "About you" question, if the session asks one.
 */
about_you: AboutYou | null, 
/**
 * The numbers the organiser typed in as booked.
 */
booked: Booked | null, 
/**
 * Whether anyone has answered the "About you" question (a group or "prefer not to
 * say"): it can no longer be changed or removed.
 */
about_you_answered: boolean, 
/**
 * "What we heard", while it is published.
 */
summary?: SummaryInfo | null, };

export type Results = { 
/**
 * By group label, in the question's order; "prefer not to say" is no group (those
 * answers count in the total only). The console gets every group's figures; the
 * projector and phones get `{"suppressed": true}` for a group too small to show, and
 * the projector gets `by_group` only while the facilitator allows a split.
 */
by_group?: { [key in string]: GroupFigures<Aggregate> }, 
/**
 * Console only: the groups the projector, phones and exports suppress ("not for sharing").
 */
small_groups?: Array<string>, } & ({ "kind": "scale" } & ScaleAggregate | { "kind": "wordcloud" } & WordCloudAggregate | { "kind": "jamboard" } & JamboardAggregate | { "kind": "choice" } & ChoiceAggregate | { "kind": "ranking" } & RankingAggregate | { "kind": "points" } & PointsAggregate);

export type AboutYouQuestion = { prompt: string, groups: Array<string>, };

export type AboutYou = { 
/**
 * "I am a…"
 */
prompt: string, 
/**
 * 2–8 labels, each 1–60 characters, no two the same (ignoring case).
 */
groups: Array<string>, 
/**
 * K: a group's figures are shown on the projector, on phones and in exports only when
 * at least this many of its members answered (3–50, default 5).
 */
min_group_size: number, };

export type Booked = { total: number | null, 
/**
 * One per group of the "About you" question, or null.
 */
groups: Array<number | null> | null, };

export type Split = number | SplitName;

export type SplitName = "side_by_side";

export type SuppressedMark = { suppressed: boolean, };

export type GroupFigures<A> = SuppressedMark | A;

export type Attendance = { joined: number, took_part: number, };

export type SummaryInfo = { 
/**
 * `/r/<id>`, relative to the server.
 */
url: string, sections: Array<string>, };

export type PublishSummary = { 
/**
 * The report's section ids to publish, in report order; at least one.
 */
sections: Array<string>, };

export type PublishedSummary = { url: string, };

export type ReportView = { content: ReportContent, 
/**
 * Everything that can be starred (hidden words and notes left out), in agenda order.
 */
candidates: Array<Candidate>, 
/**
 * `live` while any session of the report is running.
 */
state: SessionState, };

export type ReportContent = { 
/**
 * In report order.
 */
sections: Array<ReportSection>, themes: Array<ReportTheme>, quotes: Array<Quote>, };

export type ReportSection = { id: string, title?: string, text?: string, hidden: boolean, };

export type ReportTheme = { id: string, title: string, 
/**
 * What it means, in the organiser's words.
 */
text: string, };

export type Quote = { 
/**
 * The session's code.
 */
session: string, activity: string, 
/**
 * The item as results name it: a word-cloud group's `id`, or a note's `id`.
 */
item: string, 
/**
 * A theme's id, or null.
 */
theme: string | null, };

export type Candidate = { session: string, activity: string, activity_title: string, item: string, kind: CandidateKind, text: string, 
/**
 * The note's frame (column) title; null for a word.
 */
board: string | null, 
/**
 * How many gave the word; a note's dots.
 */
count: number, };

export type CandidateKind = "word" | "note";

export type PresentInfo = { code: string, title: string, state: SessionState, join_url: string, 
/**
 * The "About you" question, for the group labels of `step.split` and `by_group`.
 */
about_you: AboutYou | null, };

export type CreateSession = { title: string, copy_from?: CopyFrom | null, agenda?: Array<Activity> | null, 
/**
 * The "About you" question; with `copy_from` and without this, the copied session's.
 */
about_you?: AboutYou | null, };

export type CopyFrom = { code: string, host_key: string, };

export type Created = { code: string, host_key: string, present_key: string, join_url: string, host_url: string, present_url: string, agenda: Array<Activity>, };

export type ReplaceAgenda = { agenda: Array<Activity>, 
/**
 * Absent: unchanged; null: no question; an object: the new question. Refused with
 * `about_you_in_use` once anyone has answered it.
 */
about_you?: AboutYou | null, };

export type HttpError = { error: ErrorCode, message: string, };

export type ErrorCode = "invalid_message" | "unknown_type" | "not_joined" | "already_joined" | "not_found" | "unauthorized" | "forbidden" | "unknown_activity" | "unknown_statement" | "unknown_round" | "out_of_range" | "not_open" | "session_closed" | "rate_limited" | "invalid_agenda" | "activity_has_answers" | "not_saved" | "too_large" | "limit_reached" | "unavailable" | "internal" | "invalid_text" | "stop_word" | "inappropriate" | "too_many_entries" | "invalid_answer" | "invalid_about_you" | "invalid_group_size" | "about_you_in_use" | "no_about_you" | "invalid_group" | "invalid_booked" | "invalid_report" | "too_long" | "too_many_quotes" | "too_many_themes" | "unknown_quote";

export type Activity = { 
/**
 * Stable id, assigned by the server. Send it back to keep an activity (and its answers)
 * when replacing the agenda; leave it out for a new activity.
 */
id: string, } & ({ "kind": "scale" } & Scale | { "kind": "wordcloud" } & WordCloud | { "kind": "jamboard" } & Jamboard | { "kind": "choice" } & Choice | { "kind": "ranking" } & Ranking | { "kind": "points" } & Points);

export type ActivitySpec = { "kind": "scale" } & Scale | { "kind": "wordcloud" } & WordCloud | { "kind": "jamboard" } & Jamboard | { "kind": "choice" } & Choice | { "kind": "ranking" } & Ranking | { "kind": "points" } & Points;

export type Aggregate = { "kind": "scale" } & ScaleAggregate | { "kind": "wordcloud" } & WordCloudAggregate | { "kind": "jamboard" } & JamboardAggregate | { "kind": "choice" } & ChoiceAggregate | { "kind": "ranking" } & RankingAggregate | { "kind": "points" } & PointsAggregate;

export type Scale = { 
/**
 * The scale's title; left out or empty, it is the first statement.
 */
title: string, 
/**
 * 1 to 10 statements, each rated on its own.
 */
statements: Array<string>, 
/**
 * Lowest point (default 1).
 */
min: number, 
/**
 * Highest point (default 5).
 */
max: number, labels: ScaleLabels, 
/**
 * Named rounds such as "Before" and "After"; each is answered separately. A scale given
 * no rounds gets one, named "Answers".
 */
rounds: Array<string>, };

export type ScaleLabels = { min: string | null, max: string | null, 
/**
 * One label per point, lowest first; empty for none.
 */
points: Array<string>, };

export type ScaleAggregate = { statements: Array<StatementResults>, };

export type StatementResults = { text: string, 
/**
 * Per round, in the agenda's order of rounds.
 */
rounds: { [key in string]: RoundStats }, 
/**
 * The change from the first to the last round over participants who answered both;
 * null for a scale with one round.
 */
paired: Paired | null, };

export type RoundStats = { 
/**
 * Distinct participants who answered.
 */
n: number, 
/**
 * Null when nobody answered.
 */
mean: number | null, median: number | null, 
/**
 * How many chose each point, lowest first.
 */
counts: Array<number>, };

export type Paired = { n: number, 
/**
 * Null when nobody answered both rounds.
 */
mean_change: number | null, };

export type WordCloud = { 
/**
 * The question people answer, e.g. "What word would you use instead of co-production?".
 */
prompt: string, 
/**
 * Entries each participant may send (1–10, default 3).
 */
max_entries: number, 
/**
 * Refuse profanity (default on).
 */
profanity_filter: boolean, 
/**
 * Words refused as entries on their own, besides the common English ones.
 */
stop_words: Array<string>, };

export type WordCloudAggregate = { 
/**
 * Groups ranked by count, at most 150.
 */
entries: Array<CloudEntry>, 
/**
 * Entries in the cloud (all groups).
 */
total: number, 
/**
 * Distinct groups in the cloud.
 */
groups: number, 
/**
 * Participants with at least one entry.
 */
participants: number, };

export type CloudEntry = { 
/**
 * The group's id: use it to hide or merge the group.
 */
id: string, 
/**
 * The most frequent spelling.
 */
text: string, count: number, hidden: boolean, };

export type OwnEntry = { id: string, text: string, };

export type Jamboard = { title: string, 
/**
 * 1–6 frame titles.
 */
frames: Array<string>, 
/**
 * Dots each participant may spend when voting is on (0: no dot voting).
 */
dots: number, 
/**
 * Notes each participant may post (default 20).
 */
notes_per_participant: number, };

export type Color = "yellow" | "pink" | "blue" | "green" | "orange" | "purple";

export type JamboardAggregate = { frames: Array<FrameResults>, themes: Array<Theme>, 
/**
 * The most frequent meaningful words over the visible notes, each counted once per note.
 */
keywords: Array<Keyword>, 
/**
 * Participants cannot add, edit or delete notes.
 */
locked: boolean, 
/**
 * Dot voting is on.
 */
voting: boolean, 
/**
 * Dots per participant.
 */
dots: number, };

export type FrameResults = { title: string, 
/**
 * In the order they were posted.
 */
notes: Array<NoteView>, };

export type NoteView = { id: string, text: string, color: Color, 
/**
 * Place within the frame, 0–1 across; null until the facilitator places the note.
 */
x: number | null, 
/**
 * Place within the frame, 0–1 down.
 */
y: number | null, theme: number | null, votes: number, hidden: boolean, 
/**
 * In one group's board (`by_group`): nobody in the group wrote the note, it is there
 * for the group's dots on it. Left out when false (always on the whole board), so the
 * frame of a board split 8 ways does not grow by a field on every note.
 */
dots_only?: boolean, };

export type Theme = { id: number, name: string, };

export type Keyword = { text: string, count: number, };

export type OwnNote = { id: string, frame: number, text: string, color: Color, };

export type Choice = { 
/**
 * The question.
 */
title: string, 
/**
 * 2 to 12 options, each said once.
 */
options: Array<string>, 
/**
 * How many options a participant may choose (default 1, at most every option).
 */
max_choices: number, 
/**
 * Named rounds such as "Before" and "After"; empty for one round, named `""` in the
 * aggregate.
 */
rounds: Array<string>, };

export type ChoiceAggregate = { options: Array<OptionResults>, 
/**
 * Per round, in the agenda's order: how many answered (`""` for a choice without rounds).
 */
rounds: { [key in string]: ChoiceRound }, };

export type OptionResults = { text: string, 
/**
 * Per round, in the agenda's order of rounds.
 */
rounds: { [key in string]: OptionRound }, 
/**
 * With two or more rounds: the last round's share less the first's (null when either
 * round has no answers, and for a choice with one round).
 */
change: number | null, };

export type OptionRound = { 
/**
 * Participants who chose the option.
 */
count: number, 
/**
 * `count / n`: the share of the round's participants who chose it, 0 to 1; null when
 * nobody answered.
 */
share: number | null, };

export type ChoiceRound = { 
/**
 * Participants who answered the round.
 */
n: number, };

export type Ranking = { title: string, 
/**
 * 2 to 10 items to put in order.
 */
items: Array<string>, 
/**
 * Named rounds such as "Before" and "After"; empty for one round (named `""` in the
 * aggregate).
 */
rounds: Array<string>, };

export type RankingAggregate = { items: Array<RankedItem>, };

export type RankedItem = { text: string, 
/**
 * Per round, in the agenda's order of rounds (`""` for a ranking without rounds).
 */
rounds: { [key in string]: RankStats }, };

export type RankStats = { 
/**
 * Participants who ranked the items in this round.
 */
n: number, 
/**
 * Mean rank (1 = top); null when nobody ranked.
 */
mean_rank: number | null, 
/**
 * Borda points: ranked r-th of k items gives k − r points, summed over participants.
 */
points: number, 
/**
 * How many ranked it first.
 */
first: number, };

export type Points = { title: string, 
/**
 * 2 to 10 items to spread the points over.
 */
items: Array<string>, 
/**
 * Points each participant may spread (10–1,000; default 100).
 */
budget: number, 
/**
 * Named rounds such as "Before" and "After"; empty for one round (named `""` in the
 * aggregate).
 */
rounds: Array<string>, };

export type PointsAggregate = { items: Array<PointsItem>, };

export type PointsItem = { text: string, 
/**
 * Per round, in the agenda's order of rounds (`""` for an activity without rounds).
 */
rounds: { [key in string]: PointStats }, };

export type PointStats = { 
/**
 * Participants who gave points in this round.
 */
n: number, 
/**
 * Points given to the item, added over participants.
 */
total: number, 
/**
 * Mean points per participant who answered the round; null when nobody did.
 */
mean: number | null, };
