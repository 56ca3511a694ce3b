//! The city's load: Hohhot's divisions and a generated population, written in one import that
//! lands whole or not at all. `cordon demo` runs it before its story; `cordon bench load` times it.

use anyhow::{Context, Result, bail};
use cordon_demo::{City, Scale};
use cordon_domain::AreaCode;
use cordon_store::Store;

use crate::progress::Bar;

/// One batch of the generated city, about 50,000 people with their compounds, buildings and
/// households; `done` is how many communities are generated with it.
struct Batch {
    areas: Vec<cordon_domain::AreaRow>,
    people: Vec<cordon_domain::PersonRow>,
    done: usize,
}

/// Loads the generated city in one import: it lands whole or not at all.
/// Returns the populated communities, and the people of the first three (where the demo's cases
/// live).
pub(crate) async fn seed_demo(
    store: &dyn Store,
    seed: u64,
    scale: Scale,
) -> Result<(Vec<AreaCode>, Vec<cordon_domain::PersonRow>)> {
    let started = std::time::Instant::now();
    let mut city = City::new(seed, scale);
    let mut import = store.begin_import(true).await?;
    let divisions = cordon_domain::plan_areas(city.divisions.clone(), |_| None)
        .map_err(|p| anyhow::anyhow!("embedded divisions: {:?}", p.first()))?;
    import.areas(&divisions).await?;
    let communities = city.populated.clone();
    let bar = Bar::new("generating", communities.len() as u64);
    // The city is generated on a thread of its own while the store writes the batch before, so
    // that the generating overlaps the writing (on two cores only in part: the writer is two
    // threads already, see BENCHMARKS.md); at most two batches wait between them.
    let (batches, mut ready) = tokio::sync::mpsc::channel::<Batch>(2);
    let to_generate = communities.clone();
    let generator = tokio::task::spawn_blocking(move || {
        let (mut areas, mut people, mut story_people) = (Vec::new(), Vec::new(), Vec::new());
        let mut generating = std::time::Duration::ZERO;
        for (i, code) in to_generate.iter().enumerate() {
            let t = std::time::Instant::now();
            let c = city.community(code);
            if i < 3 {
                story_people.extend(c.people.iter().cloned());
            }
            areas.extend(c.areas);
            people.extend(c.people);
            generating += t.elapsed();
            if people.len() >= 50_000 || i + 1 == to_generate.len() {
                let batch = Batch {
                    areas: std::mem::take(&mut areas),
                    people: std::mem::take(&mut people),
                    done: i + 1,
                };
                // The writer gone means the load failed: it says why, this thread just stops.
                if batches.blocking_send(batch).is_err() {
                    break;
                }
            }
        }
        (story_people, generating)
    });
    let mut loaded = 0usize;
    let (mut writing_areas, mut writing_people) = Default::default();
    while let Some(batch) = ready.recv().await {
        let t = std::time::Instant::now();
        import.areas(&batch.areas).await?;
        writing_areas += t.elapsed();
        let t = std::time::Instant::now();
        let rejected = import.people(&batch.people).await?;
        writing_people += t.elapsed();
        if let Some(r) = rejected.first() {
            bail!("the generator made a bad row: {}", r.reason);
        }
        loaded += batch.people.len();
        bar.set(batch.done as u64);
    }
    let (story_people, generating) = generator.await.context("the city's generator")?;
    bar.finish();
    eprintln!("building indexes and counts…");
    let t = std::time::Instant::now();
    let totals = import.commit().await?;
    let committing = t.elapsed();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "seeded {} people and {} areas in {secs:.1} s ({:.0} people/s)",
        totals.people,
        totals.areas,
        loaded as f64 / secs
    );
    let phases: [(&str, std::time::Duration); 4] = [
        ("generating (beside the writing)", generating),
        ("writing areas", writing_areas),
        ("writing people", writing_people),
        ("indexes, counts, commit", committing),
    ];
    eprintln!("  {}", phases.map(|(what, d)| format!("{what} {:.1} s", d.as_secs_f64())).join(", "));
    Ok((communities, story_people))
}
