//! Reading Cordon's files (`formats.md`): CSV in UTF-8 (with or without BOM) or GB18030, told
//! apart automatically; GeoJSON; both time formats. Every problem names the file, the line and
//! the column. Nothing here writes anywhere: the caller decides what lands, and lands it whole.

mod areas;
mod error;
mod people;
mod table;
mod testing;
mod text;
mod time;
mod venues;
mod workers;

pub use areas::{AreaLines, read_areas};
pub use error::{ImportError, RowError};
pub use people::{PeopleBatch, PeopleReader};
pub use table::Table;
pub use testing::{ResultLine, SampleLine, SampleReader, TubeLine, read_results};
pub use text::{Limits, Progress, TextFile};
pub use time::{DEFAULT_TZ, parse_time};
pub use venues::{VenueRow, read_venues};
pub use workers::read_workers;
