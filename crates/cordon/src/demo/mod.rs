//! `cordon demo`: a synthetic city (Hohhot's real divisions, generated people) with a month of
//! history, served, with the logins printed.

use anyhow::{Context, Result, bail};
use clap::Args;
use cordon_demo::Scale;
use cordon_domain::{AreaCode, Role};
use cordon_store::NewUser;

use crate::common::{DbArg, open, random_password};
use crate::serve::{ListenArgs, serve};

pub(crate) use city::seed_demo;
pub(crate) use seed::*;

mod city;
mod doors;
mod duty;
mod followup;
mod isolation;
mod outcomes;
mod register;
mod sampling;
mod sanitation;
mod seed;
mod supplies;

#[derive(Args)]
pub(crate) struct DemoArgs {
    #[command(flatten)]
    pub(crate) db: DbArg,
    #[command(flatten)]
    pub(crate) listen: ListenArgs,
    /// The seed of the generated city: the same seed gives the same city.
    #[arg(long, default_value_t = 2022)]
    pub(crate) seed: u64,
    /// tiny: three communities; district: 新城区 in full (~450,000 people); city: 3.5 M residents.
    #[arg(long, default_value = "district", value_parser = ["tiny", "district", "city"])]
    pub(crate) scale: String,
    /// The password of `admin` and the other demo users (otherwise a fresh one is printed).
    #[arg(long, env = "CORDON_ADMIN_PASSWORD")]
    pub(crate) admin_password: Option<String>,
    /// Seed the database and exit without serving.
    #[arg(long)]
    pub(crate) no_serve: bool,
    /// Days of history before today (an outbreak that rose and fell) behind the charts; 0: today's
    /// story only.
    #[arg(long, default_value_t = 29, value_parser = clap::value_parser!(u32).range(0..=60))]
    pub(crate) history_days: u32,
    /// The protocol profile the story is told under (ninth-edition, three-zone-2021,
    /// shanghai-2022-05): put in force first, so the zones' steps take as long as it says.
    #[arg(long, default_value = cordon_domain::protocol::DEFAULT_PROFILE)]
    pub(crate) profile: String,
}

/// The demo's users: one per role, each with the scope such a user would have.
pub(crate) const DEMO_USERS: [(&str, &str, Role, &str); 8] = [
    ("admin", "指挥部管理员", Role::Headquarters, "150100"),
    ("xincheng", "新城区防控办", Role::District, "150102"),
    ("hailaer", "海拉尔东路街道办", Role::Street, "150102001"),
    ("gongzhufu", "公主府社区网格员", Role::CommunityWorker, "150102001001"),
    ("cadre", "呼铁佳园C区包联干部", Role::Cadre, "150102001001001"),
    ("sampler", "海拉尔东路采样员", Role::Sampler, "150102001"),
    ("lab", "检测机构", Role::Lab, "150100"),
    ("epi", "流调人员", Role::Epidemiologist, "150100"),
];

pub(crate) async fn demo(args: DemoArgs) -> Result<()> {
    let profile = cordon_domain::protocol::builtin()
        .into_iter()
        .find(|p| p.key == args.profile)
        .with_context(|| {
            let keys: Vec<String> = cordon_domain::protocol::builtin().into_iter().map(|p| p.key).collect();
            format!("--profile {}: no such profile; the shipped ones are {}", args.profile, keys.join(", "))
        })?;
    if let Some(why) = cordon_demo::story_refused(&profile) {
        bail!("--profile {}: {why}", args.profile);
    }
    let url = args.db.url("sqlite://cordon-demo.db");
    let store = open(&url).await?;
    let scale = Scale::parse(&args.scale).expect("clap checked the scale");
    let totals = store.totals().await?;
    let password = match (&args.admin_password, totals.users) {
        (Some(p), _) => {
            cordon_domain::user::check_new_password(p, "admin").context("--admin-password")?;
            Some(p.clone())
        }
        (None, 0) => Some(random_password()),
        (None, _) => None,
    };
    if totals.users == 0 {
        if totals.people > 0 {
            bail!("{url} holds people but no users: it is not a demo database; use `cordon serve`");
        }
        let (populated, story_people) = seed_demo(&*store, args.seed, scale).await?;
        let hash = cordon_server::hash_password(password.clone().expect("set above")).await?;
        for (username, display, role, scope) in DEMO_USERS {
            let scope = AreaCode::parse(scope)?;
            let user = NewUser {
                username: username.into(),
                display_name: display.into(),
                role,
                scope,
                password_hash: hash.clone(),
                created_by: "demo".into(),
            };
            store.create_user(&user).await?;
        }
        seed::choose_profile(&store, &profile).await?;
        seed_zones(&store, scale, &populated, &profile).await?;
        seed_cases(&store, args.seed, &story_people, &populated[..populated.len().min(3)], &profile).await?;
        seed_testing(&store, args.seed, &story_people, populated.first(), &profile).await?;
        seed_gates(&store, args.seed, &story_people, populated.first()).await?;
        seed_workforce(&store, args.seed, &populated).await?;
        duty::seed_duty(&store).await?;
        seed_needs(&store, &story_people, populated.first()).await?;
        register::seed_register(&store, &story_people).await?;
        doors::seed_doors(&store).await?;
        sampling::seed_team(&store).await?;
        isolation::seed_isolation(&store).await?;
        supplies::seed_supplies(&store).await?;
        sanitation::seed_sanitation(&store).await?;
        if args.history_days > 0 {
            let communities = &populated[..populated.len().min(3)];
            seed_history(&store, args.seed, scale, communities, args.history_days, &profile).await?;
            followup::seed_followup(&store, populated.first()).await?;
            isolation::seed_waiting_transfer(&store).await?;
        }
        outcomes::seed_outcomes(&store).await?;
    } else if let Some(p) = &password {
        let hash = cordon_server::hash_password(p.clone()).await?;
        for (username, ..) in DEMO_USERS {
            store.set_password(username, &hash).await?;
        }
    }
    let totals = store.totals().await?;
    println!("Cordon demo: {} residents in {} areas ({url})", totals.people, totals.areas);
    println!("Open http://{}/ and sign in:", args.listen.listen);
    match &password {
        Some(p) => {
            for (username, display, role, _) in DEMO_USERS {
                println!("  {username:<10} {p}   {} · {display}", role.name_en());
            }
        }
        None => println!(
            "  admin (and the other demo users) with the password printed when this database was seeded, or pass --admin-password to set a new one"
        ),
    }
    if args.listen.two_factor.as_deref() != Some("required") {
        println!(
            "Two-factor sign-in is optional in the demo (set it up on /account); `cordon serve` requires it of headquarters."
        );
    }
    let mut listen = args.listen.clone();
    if listen.sms.is_none() {
        listen.sms = outbox_beside(&url).map(cordon_server::outbox::Gateway::File);
    }
    if let Some((phone, building)) = sealed_resident(&*store).await? {
        println!("A resident of the sealed {building}: phone {phone}. Ask for a code at");
        println!("  POST http://{}/api/v1/resident/code {{\"phone\":\"{phone}\"}}", args.listen.listen);
        match &listen.sms {
            Some(cordon_server::outbox::Gateway::File(path)) => println!(
                "  the text message is written to {} (one JSON line a message), where an SMS gateway would send it.",
                path.display()
            ),
            Some(cordon_server::outbox::Gateway::Http(u)) => {
                println!("  the text message goes to the gateway at {u}.")
            }
            None => {
                println!("  the text message waits in the outbox: serve with --sms file:PATH to read it.")
            }
        }
    }
    if args.no_serve {
        return Ok(());
    }
    serve(store, &listen, false).await
}

/// The demo's outbox file: beside its SQLite database (`cordon-demo.db` →
/// `cordon-demo.outbox.jsonl`); a PostgreSQL database has no beside (give `--sms`).
fn outbox_beside(url: &str) -> Option<std::path::PathBuf> {
    let db =
        url.strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p)).filter(|p| !p.is_empty())?;
    Some(std::path::Path::new(db).with_extension("outbox.jsonl"))
}

/// A phone registered in a household of the sealed building of 呼铁佳园C区 (the article's), and
/// the building's name: the resident the demo prints.
async fn sealed_resident(store: &dyn cordon_store::Store) -> Result<Option<(String, String)>> {
    let compound = AreaCode::parse("150102001001001")?;
    let city = cordon_domain::AreaPath::root();
    let Some(node) = store.area(&city, &compound).await? else { return Ok(None) };
    let query =
        cordon_store::ZoneQuery { include_ended: false, tier: Some(cordon_domain::Tier::Sealed), limit: 20 };
    let sealed = store.zones(&node.area.path, &query).await?;
    for zone in sealed.iter().filter(|z| node.area.path.contains(&z.path)) {
        for household in store.children(&city, &zone.area).await? {
            let people = store
                .search_people(&city, &cordon_store::PeopleQuery::Household(household.area.code.clone()), 20)
                .await?;
            if let Some(phone) = people.into_iter().find_map(|p| p.phone) {
                return Ok(Some((phone, format!("{} {}", node.area.name, zone.area_name))));
            }
        }
    }
    Ok(None)
}
