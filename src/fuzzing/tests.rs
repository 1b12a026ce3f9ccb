//! The property test over client messages: sequences of mostly well-formed messages of every
//! kind, from several phones and the facilitator, with mangled ones among them, run through
//! [`super::run`] and its invariants.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use super::{
    BOARD, CHOICE, CLOUD, CODE, Harness, Op, PHONES, POINTS, RANKING, ROUNDS, SCALE, Sender, Tally, run_with, token,
};
use crate::activity::Aggregate;
use crate::text;

/// Request ids from a small range, so that the same id with the same content (a resend)
/// comes up as well as a reused id with other content.
fn id() -> BoxedStrategy<u64> {
    prop_oneof![8 => 0u64..6, 1 => any::<u64>()].boxed()
}

fn activity() -> BoxedStrategy<String> {
    prop_oneof![
        5 => Just(SCALE.to_owned()),
        5 => Just(CLOUD.to_owned()),
        6 => Just(BOARD.to_owned()),
        4 => Just(CHOICE.to_owned()),
        3 => Just(RANKING.to_owned()),
        3 => Just(POINTS.to_owned()),
        1 => Just(String::new()),
        1 => odd_text(),
    ]
    .boxed()
}

/// Mostly the activity a message is meant for, sometimes any.
fn on(meant: &'static str) -> BoxedStrategy<String> {
    prop_oneof![10 => Just(meant.to_owned()), 1 => activity()].boxed()
}

/// Text meant to trip up whatever reads it: control characters, right-to-left overrides,
/// combining marks, zero-width spaces, astral planes, and lengths past every limit.
fn odd_text() -> BoxedStrategy<String> {
    prop_oneof![
        "\\PC{0,12}",
        ".{0,8}",
        Just("\u{202e}gnirts\u{202c}".to_owned()),
        Just("e\u{301}\u{301}\u{301}".to_owned()),
        Just("\u{200b}\u{feff}".to_owned()),
        Just(" \t\n ".to_owned()),
        Just("\0".to_owned()),
        Just("𝔉𝔞𝔪𝔦𝔩𝔶 🙂🏳️‍🌈".to_owned()),
        Just("ﬁ ＦＡＭＩＬＹ".to_owned()),
        Just("x".repeat(41)),
        Just("word ".repeat(70)),
    ]
    .boxed()
}

/// Words that group together ("family", "Families"), a stop word, the cloud's own stop
/// word, phrases, and odd text.
const WORDS: &[&str] = &[
    "family",
    "Families",
    "trust",
    "Trust!",
    "time",
    "kind staff",
    "A&E",
    "GPs",
    "the",
    "workshop",
    "one two three four",
];

/// The words most sent, so that groups grow, and can be merged and hidden.
const COMMON: &[&str] = &["family", "Families", "trust", "time"];

fn words() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(COMMON).prop_map(str::to_owned),
        3 => prop::sample::select(WORDS).prop_map(str::to_owned),
        1 => odd_text(),
    ]
    .boxed()
}

/// A word-cloud group id, as results carry it (the grouping key).
fn group() -> BoxedStrategy<String> {
    prop_oneof![
        8 => prop::sample::select(COMMON).prop_map(|word| text::group_key(&text::clean(word))),
        2 => prop::sample::select(WORDS).prop_map(|word| text::group_key(&text::clean(word))),
        1 => odd_text(),
        2 => item(),
    ]
    .boxed()
}

/// An entry, note or theme id, as the text that goes in a string: mostly one of the latest
/// items (see [`aim`]), sometimes any.
fn item() -> BoxedStrategy<String> {
    prop_oneof![
        10 => (0u32..5).prop_map(|back| format!("@{back}@")),
        2 => (0u32..12).prop_map(|id| id.to_string()),
        1 => any::<u32>().prop_map(|id| id.to_string()),
    ]
    .boxed()
}

/// A theme id, a number on the wire: mostly one of the latest items.
fn item_number() -> BoxedStrategy<Value> {
    prop_oneof![
        10 => (0u32..5).prop_map(|back| json!(format!("#{back}#"))),
        2 => (0u32..12).prop_map(|id| json!(id)),
        1 => any::<u32>().prop_map(|id| json!(id)),
    ]
    .boxed()
}

/// Points the placeholders of a message at the latest items: `@n@` in a string and `"#n#"`
/// as a number become the id of the item made `n` items ago. Items (entries, notes,
/// themes) are numbered in order, so this aims at items that exist, or did.
fn aim(harness: &Harness, op: Op) -> Op {
    let Op::Send(from, bytes) = op else { return op };
    let Ok(mut text) = String::from_utf8(bytes) else { return Op::Send(from, Vec::new()) };
    for back in 0..5 {
        let id = harness.next_item().saturating_sub(1 + back).to_string();
        text = text.replace(&format!("@{back}@"), &id).replace(&format!("\"#{back}#\""), &id);
    }
    Op::Send(from, text.into_bytes())
}

fn round() -> BoxedStrategy<Option<String>> {
    prop_oneof![
        2 => Just(None),
        6 => prop::sample::select(&ROUNDS[..]).prop_map(|round| Some(round.to_owned())),
        1 => Just(Some("Later".to_owned())),
    ]
    .boxed()
}

fn place() -> BoxedStrategy<f32> {
    prop_oneof![6 => 0.0f32..=1.0, 1 => Just(-0.0), 1 => Just(1.0), 1 => any::<f32>()].boxed()
}

fn color() -> BoxedStrategy<Value> {
    prop_oneof![
        8 => prop::sample::select(&["yellow", "pink", "blue", "green", "orange", "purple"][..]).prop_map(Value::from),
        1 => Just(json!("Yellow")),
        1 => Just(Value::Null),
    ]
    .boxed()
}

fn theme() -> BoxedStrategy<Value> {
    prop_oneof![3 => Just(Value::Null), 4 => item_number()].boxed()
}

fn statement() -> BoxedStrategy<u32> {
    prop_oneof![6 => 0u32..2, 1 => 2u32..4, 1 => any::<u32>()].boxed()
}

fn value() -> BoxedStrategy<i64> {
    prop_oneof![8 => 1i64..=5, 1 => -2i64..9, 1 => any::<i64>()].boxed()
}

fn frame() -> BoxedStrategy<u32> {
    prop_oneof![8 => 0u32..2, 1 => 2u32..4, 1 => any::<u32>()].boxed()
}

// ---- what a phone sends ---------------------------------------------------------------------

/// A scale answer, mostly for the round on screen when there is one.
fn scale_answer(shown: Option<&'static str>) -> BoxedStrategy<Value> {
    let round = match shown {
        Some(shown) => prop_oneof![4 => Just(Some(shown.to_owned())), 1 => round()].boxed(),
        None => round(),
    };
    (id(), on(SCALE), round, statement(), value())
        .prop_map(|(id, activity, round, statement, value)| {
            json!({"type": "answer", "id": id, "activity": activity, "round": round, "statement": statement, "value": value})
        })
        .boxed()
}

/// A ranking: mostly every item once, sometimes too few, repeated or odd numbers.
fn ranking_answer(shown: &'static str) -> BoxedStrategy<Value> {
    let order = prop_oneof![
        8 => Just(vec![0.0, 1.0, 2.0]).prop_shuffle(),
        1 => prop::collection::vec(prop_oneof![0.0..3.0, -1.0..4.0, Just(1.0)], 0..5),
    ];
    let round = prop_oneof![4 => Just(Some(shown.to_owned())), 1 => round()];
    (id(), on(RANKING), round, order)
        .prop_map(|(id, activity, round, order)| {
            json!({"type": "answer", "id": id, "activity": activity, "round": round, "order": order})
        })
        .boxed()
}

/// A spread of 10 points: mostly within the budget, sometimes over, negative or fractional.
fn points_answer() -> BoxedStrategy<Value> {
    let points = prop_oneof![
        8 => prop::collection::vec(0u32..5, 3).prop_map(|points| points.into_iter().map(f64::from).collect::<Vec<_>>()),
        1 => prop::collection::vec(prop_oneof![-2.0..12.0, Just(0.5)], 0..5),
    ];
    (id(), on(POINTS), points)
        .prop_map(|(id, activity, points)| json!({"type": "answer", "id": id, "activity": activity, "points": points}))
        .boxed()
}

fn word_answer() -> BoxedStrategy<Value> {
    (id(), on(CLOUD), words())
        .prop_map(|(id, activity, text)| json!({"type": "answer", "id": id, "activity": activity, "text": text}))
        .boxed()
}

fn entry_delete() -> BoxedStrategy<Value> {
    (id(), on(CLOUD), item())
        .prop_map(
            |(id, activity, entry)| json!({"type": "entry_delete", "id": id, "activity": activity, "entry": entry}),
        )
        .boxed()
}

fn note_add() -> BoxedStrategy<Value> {
    (id(), on(BOARD), frame(), words(), color())
        .prop_map(|(id, activity, frame, text, color)| {
            json!({"type": "note_add", "id": id, "activity": activity, "frame": frame, "text": text, "color": color})
        })
        .boxed()
}

fn note_edit() -> BoxedStrategy<Value> {
    (id(), on(BOARD), item(), words(), prop_oneof![color(), Just(Value::Null)])
        .prop_map(|(id, activity, note, text, color)| {
            json!({"type": "note_edit", "id": id, "activity": activity, "note": note, "text": text, "color": color})
        })
        .boxed()
}

fn note_delete() -> BoxedStrategy<Value> {
    (id(), on(BOARD), item())
        .prop_map(|(id, activity, note)| json!({"type": "note_delete", "id": id, "activity": activity, "note": note}))
        .boxed()
}

fn dot() -> BoxedStrategy<Value> {
    // Item ids are read as numbers too.
    (id(), on(BOARD), item(), prop_oneof![3 => Just(true), 2 => Just(false)], any::<bool>())
        .prop_map(|(id, activity, note, add, as_number)| {
            let note = match note.parse::<u32>() {
                Ok(number) if as_number => json!(number),
                _ => json!(note),
            };
            json!({"type": "dot", "id": id, "activity": activity, "note": note, "add": add})
        })
        .boxed()
}

/// A multiple-choice answer, mostly for the round on screen: mostly options that exist,
/// sometimes repeated, too many, none, fractional, negative or huge.
fn choice_answer(shown: Option<&'static str>) -> BoxedStrategy<Value> {
    let round = match shown {
        Some(shown) => prop_oneof![4 => Just(Some(shown.to_owned())), 1 => round()].boxed(),
        None => round(),
    };
    let option = prop_oneof![
        12 => (0u32..3).prop_map(|o| json!(o)),
        1 => Just(json!(-1)),
        1 => Just(json!(0.5)),
        1 => Just(json!(3)),
        1 => any::<u32>().prop_map(|o| json!(o)),
    ];
    let choices = prop_oneof![12 => prop::collection::vec(option, 0..4).prop_map(Value::from), 1 => Just(Value::Null)];
    (id(), on(CHOICE), round, choices)
        .prop_map(|(id, activity, round, choices)| {
            json!({"type": "answer", "id": id, "activity": activity, "round": round, "choices": choices})
        })
        .boxed()
}

/// Anything a phone may send.
/// The "About you" answer: mostly a group or "prefer not to say", sometimes out of range.
fn about_you_answer() -> BoxedStrategy<Value> {
    let group = prop_oneof![6 => (0u32..3).prop_map(|g| json!(g)), 2 => Just(Value::Null), 1 => Just(json!(3)), 1 => Just(json!(-1))];
    (id(), group).prop_map(|(id, group)| json!({"type": "group", "id": id, "group": group})).boxed()
}

fn participant_message() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => about_you_answer(),
        3 => scale_answer(None),
        2 => choice_answer(None),
        3 => word_answer(),
        1 => entry_delete(),
        3 => note_add(),
        1 => note_edit(),
        1 => note_delete(),
        2 => dot(),
    ]
    .boxed()
}

/// What phones send while an activity of this kind is on screen: mostly answers to it.
fn participant_message_on(kind: &'static str, round: &'static str) -> BoxedStrategy<Value> {
    match kind {
        SCALE => prop_oneof![6 => scale_answer(Some(round)), 1 => participant_message()].boxed(),
        CHOICE => prop_oneof![6 => choice_answer(Some(round)), 1 => participant_message()].boxed(),
        CLOUD => prop_oneof![6 => word_answer(), 2 => entry_delete(), 1 => participant_message()].boxed(),
        RANKING => prop_oneof![6 => ranking_answer(round), 1 => participant_message()].boxed(),
        POINTS => prop_oneof![6 => points_answer(), 1 => participant_message()].boxed(),
        BOARD => prop_oneof![
            5 => note_add(),
            2 => note_edit(),
            1 => note_delete(),
            4 => dot(),
            1 => participant_message(),
        ]
        .boxed(),
        _ => participant_message(),
    }
}

// ---- what the console sends -----------------------------------------------------------------

/// A step: a scale mostly in the given round, the others mostly without one.
fn goto(kind: &'static str, shown: &'static str) -> BoxedStrategy<Value> {
    let step = match kind {
        SCALE | CHOICE | RANKING => {
            (Just(Some(kind.to_owned())), prop_oneof![3 => Just(Some(shown.to_owned())), 1 => round()]).boxed()
        }
        CLOUD | BOARD | POINTS => (on(kind).prop_map(Some), prop_oneof![12 => Just(None), 1 => round()]).boxed(),
        _ => (prop_oneof![Just(None), activity().prop_map(Some)], round()).boxed(),
    };
    (id(), step)
        .prop_map(|(id, (activity, round))| json!({"type": "goto", "id": id, "activity": activity, "round": round}))
        .boxed()
}

fn set_open() -> BoxedStrategy<Value> {
    (id(), prop_oneof![1 => Just(false), 2 => Just(true)])
        .prop_map(|(id, open)| json!({"type": "set_open", "id": id, "open": open}))
        .boxed()
}

fn reveal() -> BoxedStrategy<Value> {
    (id(), any::<bool>()).prop_map(|(id, show)| json!({"type": "reveal", "id": id, "show": show})).boxed()
}

fn show_on_projector() -> BoxedStrategy<Value> {
    (id(), any::<bool>()).prop_map(|(id, show)| json!({"type": "show_on_projector", "id": id, "show": show})).boxed()
}

fn projector_page() -> BoxedStrategy<Value> {
    (id(), prop_oneof![Just(None), (0u32..60).prop_map(Some)])
        .prop_map(|(id, page)| json!({"type": "projector_page", "id": id, "page": page}))
        .boxed()
}

/// Countdowns, in range or not; whether they stop answers is tried at zero in the session
/// task, which the harness does not run: the harness checks the start and the cancel.
fn timer() -> BoxedStrategy<Value> {
    (id(), prop_oneof![Just(None), Just(Some(0u32)), Just(Some(300)), Just(Some(5000))], any::<bool>())
        .prop_map(|(id, seconds, stop)| json!({"type": "timer", "id": id, "seconds": seconds, "stop_answers": stop}))
        .boxed()
}

fn hide(kind: &'static str) -> BoxedStrategy<Value> {
    let target = match kind {
        CLOUD => (on(CLOUD), group()).boxed(),
        _ => (on(BOARD), item()).boxed(),
    };
    (id(), target, prop_oneof![2 => Just(true), 1 => Just(false)])
        .prop_map(|(id, (activity, item), hidden)| {
            json!({"type": "hide", "id": id, "activity": activity, "item": item, "hidden": hidden})
        })
        .boxed()
}

fn merge() -> BoxedStrategy<Value> {
    (id(), on(CLOUD), group(), group())
        .prop_map(|(id, activity, from, into)| {
            json!({"type": "merge", "id": id, "activity": activity, "from": from, "into": into})
        })
        .boxed()
}

fn reset() -> BoxedStrategy<Value> {
    (id(), activity()).prop_map(|(id, activity)| json!({"type": "reset", "id": id, "activity": activity})).boxed()
}

fn move_note() -> BoxedStrategy<Value> {
    (id(), on(BOARD), item(), prop_oneof![2 => Just(None), 1 => (0u32..3).prop_map(Some)], place(), place())
        .prop_map(|(id, activity, note, frame, x, y)| {
            json!({"type": "move", "id": id, "activity": activity, "note": note, "frame": frame, "x": x, "y": y})
        })
        .boxed()
}

fn theme_set() -> BoxedStrategy<Value> {
    (id(), on(BOARD), theme(), words())
        .prop_map(|(id, activity, theme, name)| {
            json!({"type": "theme", "id": id, "activity": activity, "theme": theme, "name": name})
        })
        .boxed()
}

fn note_theme() -> BoxedStrategy<Value> {
    (id(), on(BOARD), item(), theme())
        .prop_map(|(id, activity, note, theme)| {
            json!({"type": "note_theme", "id": id, "activity": activity, "note": note, "theme": theme})
        })
        .boxed()
}

fn lock() -> BoxedStrategy<Value> {
    (id(), on(BOARD), prop_oneof![1 => Just(true), 2 => Just(false)])
        .prop_map(|(id, activity, locked)| json!({"type": "lock", "id": id, "activity": activity, "locked": locked}))
        .boxed()
}

fn voting() -> BoxedStrategy<Value> {
    (id(), on(BOARD), prop_oneof![3 => Just(true), 1 => Just(false)])
        .prop_map(|(id, activity, open)| json!({"type": "voting", "id": id, "activity": activity, "open": open}))
        .boxed()
}

fn close() -> BoxedStrategy<Value> {
    id().prop_map(|id| json!({"type": "close_session", "id": id})).boxed()
}

/// Anything the console may send; closing is rare, as it ends everything.
fn facilitator_message() -> BoxedStrategy<Value> {
    prop_oneof![
        30 => (prop::sample::select(&[SCALE, CLOUD, BOARD, CHOICE, RANKING, POINTS, ""][..]), prop::sample::select(&ROUNDS[..]))
            .prop_flat_map(|(kind, round)| goto(kind, round)),
        10 => set_open(),
        6 => reveal(),
        3 => show_on_projector(),
        2 => projector_page(),
        3 => timer(),
        6 => hide(CLOUD),
        6 => hide(BOARD),
        6 => merge(),
        3 => reset(),
        6 => move_note(),
        6 => theme_set(),
        6 => note_theme(),
        4 => lock(),
        6 => voting(),
        1 => close(),
        2 => projector_groups(),
    ]
    .boxed()
}

/// What the projector may show of the groups.
fn projector_groups() -> BoxedStrategy<Value> {
    let split =
        prop_oneof![2 => Just(Value::Null), 2 => Just(json!("side_by_side")), 2 => (0u32..4).prop_map(|g| json!(g))];
    (id(), split).prop_map(|(id, split)| json!({"type": "projector_groups", "id": id, "split": split})).boxed()
}

/// What the console sends while an activity of this kind is on screen: mostly moderation of
/// it, and sometimes the next round or a pause.
fn facilitator_message_on(kind: &'static str, round: &'static str) -> BoxedStrategy<Value> {
    let own = match kind {
        SCALE | CHOICE => prop_oneof![2 => goto(kind, round), 2 => set_open(), 1 => reveal()].boxed(),
        CLOUD => prop_oneof![4 => hide(CLOUD), 4 => merge(), 1 => set_open(), 1 => reveal()].boxed(),
        BOARD => prop_oneof![
            3 => move_note(),
            2 => theme_set(),
            3 => note_theme(),
            1 => lock(),
            3 => voting(),
            2 => hide(BOARD),
            1 => set_open(),
        ]
        .boxed(),
        _ => facilitator_message(),
    };
    prop_oneof![12 => own, 1 => reset(), 3 => facilitator_message()].boxed()
}

/// A join: new, resuming with a token handed out, or with a wrong code or token.
fn join() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => Just(json!({"type": "join", "code": CODE})),
        2 => (1u32..6).prop_map(|participant| json!({"type": "join", "code": CODE, "token": token(participant)})),
        1 => odd_text().prop_map(|token| json!({"type": "join", "code": CODE, "token": token})),
        1 => Just(json!({"type": "join", "code": "00000000", "token": null})),
        1 => Just(json!({"type": "host", "code": CODE, "key": "guess"})),
    ]
    .boxed()
}

/// A value of the wrong type, or one past every range.
fn wrong_value() -> BoxedStrategy<Value> {
    prop::sample::select(vec![
        Value::Null,
        json!(-1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1e300),
        json!(0.5),
        json!("12"),
        json!("-3"),
        json!(""),
        json!([1]),
        json!({}),
        json!(true),
        json!("\u{0}"),
        json!("4294967296"),
    ])
    .boxed()
}

/// Raw text that breaks JSON: numbers past f64, lone surrogates, a second `type`.
const BREAKAGES: &[(&str, &str)] = &[
    (":", ":1e400,\"x\":"),
    ("\"text\":\"", "\"text\":\"\\ud800"),
    ("{", "{\"type\":\"join\","),
    ("\"id\":", "\"id\":-"),
    ("}", ",}"),
];

/// Bytes from a well-formed message: mostly as is, else cut short, with a field dropped or
/// of the wrong type, with its text broken, or random bytes instead.
fn mangled(message: Value) -> BoxedStrategy<Vec<u8>> {
    let text = message.to_string();
    let keys: Vec<String> = message.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let whole = Just(text.clone().into_bytes());
    let cut = {
        let text = text.clone();
        (0..text.len()).prop_map(move |at| text.as_bytes()[..at].to_vec())
    };
    let retyped = {
        let (message, keys) = (message.clone(), keys.clone());
        (prop::sample::select(keys), wrong_value()).prop_map(move |(key, wrong)| {
            let mut message = message.clone();
            message[key.as_str()] = wrong;
            message.to_string().into_bytes()
        })
    };
    let dropped = {
        let message = message.clone();
        prop::sample::select(keys).prop_map(move |key| {
            let mut message = message.clone();
            if let Some(fields) = message.as_object_mut() {
                fields.remove(&key);
            }
            message.to_string().into_bytes()
        })
    };
    let broken = prop::sample::select(BREAKAGES).prop_map(move |(from, to)| text.replacen(from, to, 1).into_bytes());
    let random = prop::collection::vec(any::<u8>(), 0..48);
    prop_oneof![60 => whole, 2 => cut, 3 => retyped, 2 => dropped, 2 => broken, 1 => random].boxed()
}

fn send(from: Sender, messages: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Op> {
    messages.prop_flat_map(mangled).prop_map(move |bytes| Op::Send(from, bytes)).boxed()
}

fn phone() -> BoxedStrategy<Sender> {
    (0..PHONES).prop_map(Sender::Phone).boxed()
}

/// One op while an activity of this kind is on screen.
fn op_on(kind: &'static str, round: &'static str) -> BoxedStrategy<Op> {
    let anyone = prop_oneof![1 => Just(Sender::Facilitator), 2 => phone()];
    let any_message = prop_oneof![participant_message(), facilitator_message(), join()];
    prop_oneof![
        6 => send(Sender::Facilitator, facilitator_message_on(kind, round)),
        16 => phone().prop_flat_map(move |from| send(from, participant_message_on(kind, round))),
        1 => phone().prop_flat_map(|from| send(from, join())),
        1 => (anyone, any_message).prop_flat_map(|(from, message)| send(from, Just(message))),
        // Events settle now and then: requests in between are checked with events in flight.
        4 => Just(Op::Settle(usize::MAX)),
        2 => (0usize..3).prop_map(Op::Settle),
    ]
    .boxed()
}

/// The facilitator shows an activity (a scale in some round, or the waiting screen), and
/// people act on it.
fn scene() -> BoxedStrategy<Vec<Op>> {
    (prop::sample::select(&[SCALE, CLOUD, BOARD, CHOICE, RANKING, POINTS, ""][..]), prop::sample::select(&ROUNDS[..]))
        .prop_flat_map(|(kind, round)| {
            let whole = |message: Value| Op::Send(Sender::Facilitator, message.to_string().into_bytes());
            // A board is often voted on: switched on at once, dots can be spent.
            let vote = match kind {
                BOARD => prop::option::of(voting().prop_map(whole)).boxed(),
                _ => Just(None).boxed(),
            };
            (goto(kind, round).prop_map(whole), vote, prop::collection::vec(op_on(kind, round), 0..40))
        })
        .prop_map(|(goto, vote, ops)| std::iter::once(goto).chain(vote).chain(ops).collect())
        .boxed()
}

/// Most phones join first (the last one only sometimes, so that a phone that never joined
/// speaks too), then a few scenes. In half the runs the journal keeps up (every event settles
/// before the next message is read); in the others, events settle only when the run says.
fn ops() -> BoxedStrategy<Vec<Op>> {
    let joined = prop_oneof![1 => Just(PHONES - 1), 3 => Just(PHONES)].prop_map(|phones| {
        (0..phones)
            .map(|phone| Op::Send(Sender::Phone(phone), json!({"type": "join", "code": CODE}).to_string().into_bytes()))
    });
    (joined, prop::collection::vec(scene(), 1..8), any::<bool>())
        .prop_map(|(joins, scenes, keeps_up)| {
            let rest = scenes.into_iter().flatten().flat_map(|op| {
                let settle = (keeps_up && matches!(op, Op::Send(..))).then_some(Op::Settle(usize::MAX));
                std::iter::once(op).chain(settle)
            });
            joins.chain(rest).collect()
        })
        .boxed()
}

/// Generated runs per `cargo test`: every kind of change many times over, in seconds.
const CASES: u32 = 256;

proptest! {
    #![proptest_config(Config { cases: CASES, ..Config::default() })]

    /// Whatever phones and the console send, the server does not panic, refused changes
    /// change nothing, nothing is taken for a question not being asked or after the session
    /// closed, nobody changes what someone else wrote, per-person limits hold, results agree
    /// with exports, and the journal replays into the same session.
    #[test]
    fn client_messages_keep_the_session_whole(ops in ops()) {
        run_with(ops, aim).map_err(|violation| TestCaseError::fail(violation.to_string()))?;
    }
}

/// The generated runs reach every kind of change, and refusals of many kinds: a test that
/// only ever saw refusals would prove nothing.
#[test]
fn client_messages_reach_every_kind_of_change() {
    let mut runner = TestRunner::deterministic();
    let strategy = ops();
    let mut total = Tally::default();
    // Six kinds share the scenes: 128 runs reach every change (64 did with three).
    for _ in 0..128 {
        let ops = strategy.new_tree(&mut runner).expect("a generated run").current();
        total.add(&run_with(ops, aim).expect("the invariants hold"));
    }
    let kinds = [
        "joined",
        "goto",
        "opened",
        "reveal",
        "projector",
        "projector_page",
        "timer",
        "scale_answer",
        "choice_answer",
        "ranking_answer",
        "points_answer",
        "word_entry",
        "entry_deleted",
        "note_added",
        "note_edited",
        "note_deleted",
        "note_moved",
        "theme_set",
        "note_themed",
        "locked",
        "voting",
        "dot",
        "hidden",
        "merged",
        "reset",
        "closed",
    ];
    let missing: Vec<_> = kinds.iter().filter(|kind| !total.applied.contains_key(**kind)).collect();
    assert!(missing.is_empty(), "never applied: {missing:?}\n{total:#?}");
    assert!(total.refused.len() >= 10, "few kinds of refusal: {total:#?}");
}

/// Sends one message and lets the journal catch up; the refusal's code, if refused.
fn said(session: &mut Harness, from: Sender, message: Value) -> Result<(), crate::error::ErrorCode> {
    let answer = session.send(from, message.to_string().as_bytes()).expect("the invariants hold");
    session.settle(usize::MAX).expect("the invariants hold");
    answer.map_err(|refusal| refusal.code)
}

/// What the property test found, pinned: notes were taken for a board not on screen or while
/// answers were stopped, words while answers were stopped, participants' changes after the
/// session closed; and an answer sent to a jam board was refused as a server error.
#[test]
fn notes_and_words_are_taken_only_while_asked_and_nothing_after_close() {
    use crate::error::ErrorCode::{NotOpen, SessionClosed, UnknownActivity};
    let (host, phone) = (Sender::Facilitator, Sender::Phone(0));
    let note =
        |id: u64| json!({"type": "note_add", "id": id, "activity": BOARD, "frame": 0, "text": "Time", "color": "blue"});
    let word = |id: u64| json!({"type": "answer", "id": id, "activity": CLOUD, "text": "trust"});
    let mut session = Harness::new();
    assert_eq!(said(&mut session, phone, json!({"type": "join", "code": CODE})), Ok(()));
    assert_eq!(said(&mut session, phone, note(1)), Err(NotOpen), "the waiting screen is on");

    assert_eq!(said(&mut session, host, json!({"type": "goto", "id": 1, "activity": BOARD})), Ok(()));
    assert_eq!(said(&mut session, phone, note(2)), Ok(()));
    let mine = format!("{}", session.next_item() - 1);
    assert_eq!(
        said(&mut session, phone, json!({"type": "answer", "id": 3, "activity": BOARD, "text": "x"})),
        Err(UnknownActivity)
    );
    assert_eq!(said(&mut session, host, json!({"type": "set_open", "id": 2, "open": false})), Ok(()));
    assert_eq!(said(&mut session, phone, note(4)), Err(NotOpen), "answers are stopped");

    // Checked while the stop is still on its way to the journal, applied after it: refused,
    // as at replay.
    assert_eq!(said(&mut session, host, json!({"type": "set_open", "id": 3, "open": true})), Ok(()));
    let stop = session.send(host, json!({"type": "set_open", "id": 4, "open": false}).to_string().as_bytes());
    assert_eq!(stop.expect("the invariants hold").map_err(|r| r.code), Ok(()));
    let racing = session.send(phone, note(5).to_string().as_bytes()).expect("the invariants hold");
    assert_eq!(racing.map_err(|r| r.code), Ok(()), "checked against the open board");
    session.settle(usize::MAX).expect("the invariants hold");
    session.check_restart().expect("a restart gives the same board");
    let notes = |session: &Harness| session.state().export_parts()[2].2.len();
    assert_eq!(notes(&session), 1, "only the note taken while the board was open");

    assert_eq!(said(&mut session, host, json!({"type": "goto", "id": 5, "activity": CLOUD})), Ok(()));
    assert_eq!(said(&mut session, host, json!({"type": "set_open", "id": 6, "open": false})), Ok(()));
    assert_eq!(said(&mut session, phone, word(6)), Err(NotOpen));
    assert_eq!(said(&mut session, host, json!({"type": "set_open", "id": 7, "open": true})), Ok(()));
    assert_eq!(said(&mut session, phone, word(7)), Ok(()));
    let entry = format!("{}", session.next_item() - 1);

    assert_eq!(said(&mut session, host, json!({"type": "close_session", "id": 8})), Ok(()));
    let edit = json!({"type": "note_edit", "id": 8, "activity": BOARD, "note": mine, "text": "Later"});
    assert_eq!(said(&mut session, phone, edit), Err(SessionClosed));
    let delete = json!({"type": "note_delete", "id": 9, "activity": BOARD, "note": mine});
    assert_eq!(said(&mut session, phone, delete), Err(SessionClosed));
    let unsay = json!({"type": "entry_delete", "id": 10, "activity": CLOUD, "entry": entry});
    assert_eq!(said(&mut session, phone, unsay), Err(SessionClosed));
    assert_eq!(
        said(&mut session, phone, json!({"type": "dot", "id": 11, "activity": BOARD, "note": mine, "add": true})),
        Err(SessionClosed)
    );
    assert_eq!(notes(&session), 1);
    session.check_restart().expect("a restart gives the same session");
}

/// Two new themes checked against a board one short of its limit, both still on their way to
/// the journal: only one may be created.
#[test]
fn themes_racing_for_the_last_place_on_a_board_make_one() {
    let theme =
        |id: u64| json!({"type": "theme", "id": id, "activity": BOARD, "theme": null, "name": format!("Theme {id}")});
    let mut session = Harness::new();
    for id in 1..50 {
        assert_eq!(said(&mut session, Sender::Facilitator, theme(id)), Ok(()));
    }
    for id in 50..52 {
        let sent = session.send(Sender::Facilitator, theme(id).to_string().as_bytes()).expect("the invariants hold");
        assert_eq!(sent.map_err(|r| r.code), Ok(()), "checked against 49 themes");
    }
    session.settle(usize::MAX).expect("the invariants hold");
    session.check_restart().expect("a restart gives the same board");
    let Some((_, Aggregate::Jamboard(board), _)) = session.state().export_parts().into_iter().nth(2) else {
        panic!("the board's results");
    };
    assert_eq!(board.themes.len(), 50);
}
