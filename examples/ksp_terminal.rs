//! Kamen–Škarje–Papir in the terminal: choose KSP or KSPOV, then play the
//! computer with numbered weapons (the number in the menu is the weapon you
//! play — names in Slovenian or English work too). The running score is
//! shown after every round; the match ends when the decisive rounds reach 7
//! (KSP) or 15 (KSPOV).
//!
//! Run with `cargo run -p caas-examples --example ksp_terminal` and type;
//! or pipe moves in: `printf '2\n1\n4\n5\n' | cargo run -p caas-examples
//! --example ksp_terminal`. `q` quits.

use std::io::{BufRead, Write};

use caas_game::{Match, MatchState, OsChooser, Outcome, RuleSet};

fn label(rules: &RuleSet, index: usize) -> String {
    rules
        .weapon(index)
        .map(|w| format!("{} ({})", w.names.sl, w.names.en))
        .unwrap_or_default()
}

fn menu(rules: &RuleSet) -> String {
    (0..rules.weapons().len())
        .map(|i| format!("{} {}", i + 1, label(rules, i)))
        .collect::<Vec<_>>()
        .join("   ")
}

fn main() -> caas_core::Result<()> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut out = std::io::stdout();
    let mut ask = |prompt: &str| -> Option<String> {
        print!("{prompt}");
        let _ = out.flush();
        let line = lines.next()?.ok()?;
        let line = line.trim().to_owned();
        (line != "q").then_some(line)
    };

    println!("Kamen–Škarje–Papir");
    println!("  1 KSP   (kamen, škarje, papir — to 7 decisive rounds)");
    println!("  2 KSPOV (… and ogenj, voda — to 15 decisive rounds)");
    let rules = loop {
        match ask("Game [1/2]: ").as_deref() {
            None => return Ok(()),
            Some("1") | Some("ksp") => break RuleSet::ksp(),
            Some("2") | Some("kspov") => break RuleSet::kspov(),
            Some(_) => println!("Type 1 or 2."),
        }
    };
    let mut game = Match::new(&rules, None)?;
    println!(
        "\n{} — first to a total of {} decisive rounds.",
        rules.names().sl,
        game.target()
    );
    let computer = OsChooser;
    while game.state() == MatchState::InProgress {
        println!("\n{}", menu(&rules));
        let Some(text) = ask("Your move: ") else {
            println!("\nBye.");
            return Ok(());
        };
        let mine = match rules.parse_weapon(&text) {
            Ok(i) => i,
            Err(e) => {
                println!("{}", e.message());
                continue;
            }
        };
        let round = game.play_computer(&rules, mine, &computer)?;
        let [you, them] = round
            .moves
            .map(|m| m.map(|i| label(&rules, i)).unwrap_or_default());
        let verdict = match round.outcome {
            Outcome::First => "you win the round",
            Outcome::Second => "the computer wins the round",
            Outcome::Draw => "a draw (it does not count)",
        };
        let [a, b] = game.scores();
        println!("You: {you} — computer: {them} → {verdict}.  Score {a}:{b}");
    }
    let [a, b] = game.scores();
    let rounds = game.rounds().len();
    match game.winner() {
        Some(0) => println!("\nYou win {a}:{b} after {rounds} rounds."),
        _ => println!("\nThe computer wins {b}:{a} after {rounds} rounds."),
    }
    Ok(())
}
