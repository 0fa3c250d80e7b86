//! Function names for the instruction addresses of a CPU profile, read from the ELF symbol tables
//! of the executable and the shared libraries mapped into this process.
//!
//! Design decisions:
//! - Symbol tables, not DWARF. backtrace-rs's symbolizer parses the binary's debug info (tens of
//!   MB of `.debug_info` and `.debug_line`) and caches it for the life of the process: one profile
//!   grew an idle ferroalloy from 8 MB to 250 MB. A table built from `.symtab` (`.dynsym` when
//!   the file has no `.symtab`) names functions, with no files, lines or inlined calls, in about
//!   1 MB — what a symbol-table profiler (`perf` without debug info) shows.
//! - Only the ELF header, the program and section headers, the build-id note, the symbol table and
//!   its string table are read, with positioned reads: the file is never read whole nor mapped.
//! - Names are demangled with rustc-demangle's alternate form (`{:#}`: no hash suffix); other
//!   names (C) are kept as they are. Each distinct name is stored once, in one string.
//! - The process's executable mappings come from `/proc/self/maps`, read with the tables once, on
//!   first use ([`ProcessSymbols::shared`], the first profile), and kept: ferroalloy loads no
//!   library after start-up. The mapping of the executable is read through `/proc/self/exe`, so a
//!   binary replaced on disk still resolves.
//! - Shared libraries (libc, libgcc, ld.so) resolve through their own tables the same way. An
//!   address no table covers (the vDSO, a function a stripped library leaves out of its
//!   `.dynsym`) stays an address, with its mapping, for tools that symbolize later.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use object::elf::{FileHeader32, FileHeader64};
use object::read::ReadRef;
use object::read::elf::{FileHeader, NoteIterator, ProgramHeader, SectionHeader, Sym};
use object::{Endianness, elf};

/// The largest symbol or string table read (a malformed file cannot make ferroalloy allocate more).
const MAX_TABLE_BYTES: u64 = 256 * 1024 * 1024;

/// How much of the file start is read to find the ELF header and, usually, the program headers.
const HEAD_BYTES: u64 = 4096;

/// A failure to read the symbol table of a file.
#[derive(Debug, thiserror::Error)]
pub enum SymbolError {
    /// The file could not be opened or read.
    #[error("failed to read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not an ELF file object can parse.
    #[error("failed to parse the elf file {path}: {source}")]
    Elf {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: object::read::Error,
    },
    /// A table of the file is larger than [`MAX_TABLE_BYTES`].
    #[error("failed to read {path}: a table of {size} bytes is too large")]
    TooLarge {
        /// The file.
        path: String,
        /// The size of the table.
        size: u64,
    },
}

/// A function of a [`SymbolTable`]: addresses `start..end`, and where its name is in `names`.
#[derive(Debug, Clone, Copy)]
struct FunctionRange {
    start: u64,
    end: u64,
    name_start: u32,
    name_len: u32,
}

/// The functions of one file by address (the file's own, link-time addresses), each with its
/// demangled name.
#[derive(Debug, Default)]
pub struct SymbolTable {
    /// Sorted by `start`, no two with the same start.
    functions: Vec<FunctionRange>,
    /// Every distinct name, one after the other.
    names: String,
}

impl SymbolTable {
    /// A table of functions given as `(start address, size in bytes, name)`, names as they should
    /// be shown. Functions of size zero cover no address and are left out; of several functions
    /// starting at the same address, the largest is kept (the shortest name of equals).
    pub fn from_functions<'a>(
        functions: impl IntoIterator<Item = (u64, u64, Cow<'a, str>)>,
    ) -> Self {
        let mut functions: Vec<(u64, u64, Cow<'a, str>)> = functions
            .into_iter()
            .filter(|(_, size, _)| *size > 0)
            .collect();
        functions.sort_unstable_by(|a, b| {
            (a.0.cmp(&b.0))
                .then(b.1.cmp(&a.1))
                .then(a.2.len().cmp(&b.2.len()))
                .then(a.2.cmp(&b.2))
        });
        functions.dedup_by(|later, kept| later.0 == kept.0);
        let mut names = String::new();
        let mut name_index: HashMap<&str, (u32, u32)> = HashMap::new();
        let mut ranges = Vec::with_capacity(functions.len());
        for (start, size, name) in &functions {
            let (name_start, name_len) = match name_index.get(name.as_ref()) {
                Some(position) => *position,
                None => {
                    let (Ok(name_start), Ok(name_len)) =
                        (u32::try_from(names.len()), u32::try_from(name.len()))
                    else {
                        continue;
                    };
                    names.push_str(name);
                    name_index.insert(name, (name_start, name_len));
                    (name_start, name_len)
                }
            };
            ranges.push(FunctionRange {
                start: *start,
                end: start.saturating_add(*size),
                name_start,
                name_len,
            });
        }
        names.shrink_to_fit();
        Self {
            functions: ranges,
            names,
        }
    }

    /// The name of the function that covers `address` (a link-time address of the file).
    pub fn lookup(&self, address: u64) -> Option<&str> {
        let after = self.functions.partition_point(|f| f.start <= address);
        let function = self.functions.get(after.checked_sub(1)?)?;
        if address >= function.end {
            return None;
        }
        let start = function.name_start as usize;
        self.names.get(start..start + function.name_len as usize)
    }

    /// How many functions the table holds.
    pub fn len(&self) -> usize {
        self.functions.len()
    }

    /// Whether the table holds no function.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// The heap memory the table holds, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.functions.capacity() * size_of::<FunctionRange>() + self.names.capacity()
    }
}

/// A loadable segment of an ELF file: where it is in the file and at which address it is linked.
#[derive(Debug, Clone, Copy)]
struct LoadSegment {
    offset: u64,
    file_size: u64,
    vaddr: u64,
    executable: bool,
}

/// What is read from one ELF file: its functions, its loadable segments and its build id.
#[derive(Debug)]
pub struct ElfSymbols {
    /// The functions.
    pub table: Arc<SymbolTable>,
    /// The GNU build id, in lowercase hex; empty when the file has none.
    pub build_id: String,
    segments: Vec<LoadSegment>,
}

impl ElfSymbols {
    /// Reads the function symbols of the ELF file at `path` (`.symtab`, else `.dynsym`).
    pub fn read(path: &Path) -> Result<Self, SymbolError> {
        let name = || path.display().to_string();
        let file = File::open(path).map_err(|source| SymbolError::Io {
            path: name(),
            source,
        })?;
        let mut regions = FileRegions::new(&file).map_err(|source| SymbolError::Io {
            path: name(),
            source,
        })?;
        regions
            .load(&file, 0, HEAD_BYTES)
            .map_err(|source| SymbolError::Io {
                path: name(),
                source,
            })?;
        // The class byte of `e_ident`: the rest of the parsing is generic over 32 and 64 bits.
        let is_64 = regions.byte(4) == Some(elf::ELFCLASS64.0);
        let parsed = if is_64 {
            read_elf::<FileHeader64<Endianness>>(&file, &mut regions)
        } else {
            read_elf::<FileHeader32<Endianness>>(&file, &mut regions)
        };
        parsed.map_err(|err| match err {
            ReadError::Io(source) => SymbolError::Io {
                path: name(),
                source,
            },
            ReadError::Elf(source) => SymbolError::Elf {
                path: name(),
                source,
            },
            ReadError::TooLarge(size) => SymbolError::TooLarge { path: name(), size },
        })
    }

    /// The link-time address of a file offset inside one of the file's loadable segments,
    /// preferring an executable segment.
    fn vaddr_delta(&self, file_range: Range<u64>) -> Option<u64> {
        let overlapping = |segment: &&LoadSegment| {
            segment.offset < file_range.end
                && file_range.start < segment.offset.saturating_add(segment.file_size)
        };
        let segment = self
            .segments
            .iter()
            .filter(overlapping)
            .max_by_key(|segment| segment.executable)?;
        Some(segment.vaddr.wrapping_sub(segment.offset))
    }
}

/// Why [`read_elf`] failed, before the path is attached.
enum ReadError {
    Io(std::io::Error),
    Elf(object::read::Error),
    TooLarge(u64),
}

impl From<std::io::Error> for ReadError {
    fn from(err: std::io::Error) -> Self {
        Self::Io(err)
    }
}

impl From<object::read::Error> for ReadError {
    fn from(err: object::read::Error) -> Self {
        Self::Elf(err)
    }
}

/// Reads the segments, the build id and the function symbols of an ELF file whose first
/// [`HEAD_BYTES`] are in `regions`, reading the other parts it needs into `regions`.
fn read_elf<Elf: FileHeader<Endian = Endianness>>(
    file: &File,
    regions: &mut FileRegions,
) -> Result<ElfSymbols, ReadError> {
    let (endian, phoff, phnum, phentsize, shoff, shentsize) = {
        let header = Elf::parse(&*regions)?;
        let endian = header.endian()?;
        (
            endian,
            header.e_phoff(endian).into(),
            u64::from(header.e_phnum(endian)),
            u64::from(header.e_phentsize(endian)),
            header.e_shoff(endian).into(),
            u64::from(header.e_shentsize(endian)),
        )
    };
    // Section 0 holds the section count when `e_shnum` overflows.
    regions.load(file, shoff, shentsize)?;
    let shnum = {
        let header = Elf::parse(&*regions)?;
        u64::from(header.shnum(endian, &*regions)?)
    };
    regions.load(file, phoff, phnum.saturating_mul(phentsize))?;
    regions.load(file, shoff, shnum.saturating_mul(shentsize))?;

    let mut segments = Vec::new();
    let mut notes = Vec::new();
    {
        let header = Elf::parse(&*regions)?;
        for segment in header.program_headers(endian, &*regions)? {
            let offset: u64 = segment.p_offset(endian).into();
            let file_size: u64 = segment.p_filesz(endian).into();
            match segment.p_type(endian) {
                elf::PT_LOAD => segments.push(LoadSegment {
                    offset,
                    file_size,
                    vaddr: segment.p_vaddr(endian).into(),
                    executable: segment.p_flags(endian).contains(elf::PF_X),
                }),
                elf::PT_NOTE => notes.push((offset, file_size, segment.p_align(endian))),
                _ => {}
            }
        }
    }
    let mut build_id = String::new();
    for (offset, size, align) in notes {
        regions.load(file, offset, size.min(HEAD_BYTES))?;
        let Some(data) = regions.bytes(offset, size.min(HEAD_BYTES)) else {
            continue;
        };
        let mut notes = NoteIterator::<Elf>::new(endian, align, data)?;
        while let Some(note) = notes.next()? {
            if note.name() == elf::ELF_NOTE_GNU && note.n_type(endian) == elf::NT_GNU_BUILD_ID {
                for byte in note.desc() {
                    let _ = write!(build_id, "{byte:02x}");
                }
            }
        }
    }

    // The symbol table, its string table and any extended section index table.
    let wanted = {
        let header = Elf::parse(&*regions)?;
        let sections = header.section_headers(endian, &*regions)?;
        let has_symtab = sections
            .iter()
            .any(|section| section.sh_type(endian) == elf::SHT_SYMTAB);
        let sh_type = if has_symtab {
            elf::SHT_SYMTAB
        } else {
            elf::SHT_DYNSYM
        };
        let mut wanted = Vec::new();
        for (index, section) in sections.iter().enumerate() {
            if section.sh_type(endian) != sh_type {
                continue;
            }
            wanted.extend(section.file_range(endian));
            let strings = sections.get(section.sh_link(endian) as usize);
            wanted.extend(strings.and_then(|strings| strings.file_range(endian)));
            wanted.extend(
                sections
                    .iter()
                    .filter(|s| {
                        s.sh_type(endian) == elf::SHT_SYMTAB_SHNDX
                            && s.sh_link(endian) as usize == index
                    })
                    .filter_map(|s| s.file_range(endian)),
            );
            break;
        }
        (sh_type, wanted)
    };
    let (sh_type, ranges) = wanted;
    for (offset, size) in ranges {
        if size > MAX_TABLE_BYTES {
            return Err(ReadError::TooLarge(size));
        }
        regions.load(file, offset, size)?;
    }

    let header = Elf::parse(&*regions)?;
    let sections = header.sections(endian, &*regions)?;
    let symbols = sections.symbols(endian, &*regions, sh_type)?;
    let functions = symbols.iter().filter_map(|symbol| {
        if symbol.st_type() != elf::STT_FUNC || symbol.is_undefined(endian) {
            return None;
        }
        let name = symbols.symbol_name(endian, symbol).ok()?;
        Some((
            symbol.st_value(endian).into(),
            symbol.st_size(endian).into(),
            demangle(name),
        ))
    });
    let table = Arc::new(SymbolTable::from_functions(functions));
    Ok(ElfSymbols {
        table,
        build_id,
        segments,
    })
}

/// A symbol's name as shown: Rust names demangled without their hash, others as they are.
pub fn demangle(raw: &[u8]) -> Cow<'_, str> {
    let text = String::from_utf8_lossy(raw);
    match rustc_demangle::try_demangle(&text) {
        Ok(demangled) => Cow::Owned(format!("{demangled:#}")),
        Err(_) => text,
    }
}

/// The parts of a file read so far, each at its offset: the [`ReadRef`] the ELF parser reads
/// through, so that only the headers and tables it needs are ever read.
struct FileRegions {
    len: u64,
    regions: Vec<(u64, Vec<u8>)>,
}

impl FileRegions {
    fn new(file: &File) -> std::io::Result<Self> {
        Ok(Self {
            len: file.metadata()?.len(),
            regions: Vec::new(),
        })
    }

    /// Reads `size` bytes at `offset` (fewer at the end of the file) unless they are in already.
    fn load(&mut self, file: &File, offset: u64, size: u64) -> std::io::Result<()> {
        let size = size.min(self.len.saturating_sub(offset));
        if size == 0 || self.bytes(offset, size).is_some() {
            return Ok(());
        }
        let mut buffer = vec![0; usize::try_from(size).unwrap_or(usize::MAX)];
        file.read_exact_at(&mut buffer, offset)?;
        self.regions.push((offset, buffer));
        Ok(())
    }

    fn byte(&self, offset: u64) -> Option<u8> {
        self.bytes(offset, 1)
            .and_then(|bytes| bytes.first().copied())
    }

    /// The bytes `offset..offset + size`, when one region holds them all.
    fn bytes(&self, offset: u64, size: u64) -> Option<&[u8]> {
        let end = offset.checked_add(size)?;
        self.regions.iter().find_map(|(start, data)| {
            let from = usize::try_from(offset.checked_sub(*start)?).ok()?;
            let to = usize::try_from(end.checked_sub(*start)?).ok()?;
            data.get(from..to)
        })
    }
}

impl<'a> ReadRef<'a> for &'a FileRegions {
    fn len(self) -> Result<u64, ()> {
        Ok(self.len)
    }

    fn read_bytes_at(self, offset: u64, size: u64) -> Result<&'a [u8], ()> {
        if size == 0 {
            return Ok(&[]);
        }
        self.bytes(offset, size).ok_or(())
    }

    fn read_bytes_at_until(self, range: Range<u64>, delimiter: u8) -> Result<&'a [u8], ()> {
        let region = self
            .regions
            .iter()
            .find(|(start, data)| *start <= range.start && range.start - start < data.len() as u64)
            .ok_or(())?;
        let from = usize::try_from(range.start - region.0).map_err(|_| ())?;
        let to = usize::try_from(range.end.saturating_sub(region.0))
            .unwrap_or(usize::MAX)
            .min(region.1.len());
        let bytes = region.1.get(from..to).ok_or(())?;
        let len = bytes.iter().position(|byte| *byte == delimiter).ok_or(())?;
        Ok(&bytes[..len])
    }
}

/// An executable mapping of a file into this process (a line of `/proc/self/maps`), with the
/// symbols of the file: the pprof `Mapping` of the addresses inside it.
#[derive(Debug, Clone)]
pub struct MappedFile {
    /// The first address of the mapping.
    pub start: u64,
    /// The address after the mapping.
    pub limit: u64,
    /// The file offset mapped at `start`.
    pub file_offset: u64,
    /// The file's path.
    pub path: String,
    /// The file's GNU build id in hex; empty when unknown.
    pub build_id: String,
    /// Added (wrapping) to an address of the mapping, gives the file's link-time address.
    link_delta: u64,
    /// The file's functions; `None` when the file could not be read.
    table: Option<Arc<SymbolTable>>,
}

impl MappedFile {
    /// A mapping of `start..limit` at `file_offset` of a file whose addresses are its file
    /// offsets (linked at 0, as a shared library's first segment), with the functions of `table`.
    pub fn new(
        start: u64,
        limit: u64,
        file_offset: u64,
        path: impl Into<String>,
        table: Option<Arc<SymbolTable>>,
    ) -> Self {
        Self {
            start,
            limit,
            file_offset,
            path: path.into(),
            build_id: String::new(),
            link_delta: file_offset.wrapping_sub(start),
            table,
        }
    }

    /// Whether the mapping covers `address`.
    pub fn contains(&self, address: u64) -> bool {
        (self.start..self.limit).contains(&address)
    }

    /// Whether the mapping's file has a symbol table.
    pub fn has_functions(&self) -> bool {
        self.table.as_ref().is_some_and(|table| !table.is_empty())
    }

    fn lookup(&self, address: u64) -> Option<&str> {
        self.table
            .as_ref()?
            .lookup(address.wrapping_add(self.link_delta))
    }
}

/// What is known of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved<'a> {
    /// The index of the mapping that covers the address, in [`ProcessSymbols::mappings`].
    pub mapping: Option<usize>,
    /// The name of the function that covers it.
    pub name: Option<&'a str>,
}

/// The executable mappings of this process and their files' symbol tables; the executable's
/// mapping comes first (as pprof wants the main binary first).
#[derive(Debug, Default)]
pub struct ProcessSymbols {
    mappings: Vec<MappedFile>,
}

impl ProcessSymbols {
    /// The symbols of this process, read on the first call and kept.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<ProcessSymbols> = OnceLock::new();
        SHARED.get_or_init(Self::load)
    }

    /// Reads `/proc/self/maps` and the symbol table of every file mapped executable. A file that
    /// cannot be read is logged and its addresses stay unresolved.
    pub fn load() -> Self {
        let maps = match std::fs::read_to_string("/proc/self/maps") {
            Ok(maps) => maps,
            Err(err) => {
                tracing::warn!(
                    "failed to read /proc/self/maps, cpu profiles show addresses only: {err}"
                );
                return Self::default();
            }
        };
        let executable = std::env::current_exe()
            .map(|path| path.display().to_string())
            .unwrap_or_default();
        let mut files: HashMap<String, Option<ElfSymbols>> = HashMap::new();
        let mut mappings = Vec::new();
        for line in maps.lines() {
            let Some(entry) = MapsEntry::parse(line) else {
                continue;
            };
            if !entry.executable || !entry.path.starts_with('/') {
                continue;
            }
            let is_main = entry.path == executable;
            let file = files.entry(entry.path.to_owned()).or_insert_with(|| {
                // The executable through `/proc/self/exe`: the file actually running, even when
                // the one at its path was replaced.
                let path = if is_main {
                    Path::new("/proc/self/exe")
                } else {
                    Path::new(entry.path)
                };
                match ElfSymbols::read(path) {
                    Ok(symbols) => Some(symbols),
                    Err(err) if is_main => {
                        tracing::warn!("cpu profiles will show addresses only: {err}");
                        None
                    }
                    Err(err) => {
                        tracing::debug!(
                            "cpu profiles will show addresses in {}: {err}",
                            entry.path
                        );
                        None
                    }
                }
            });
            let mut mapping =
                MappedFile::new(entry.start, entry.limit, entry.offset, entry.path, None);
            if let Some(file) = file {
                let mapped = entry.offset..entry.offset.saturating_add(entry.limit - entry.start);
                if let Some(delta) = file.vaddr_delta(mapped) {
                    mapping.link_delta = entry.offset.wrapping_sub(entry.start).wrapping_add(delta);
                    mapping.table = Some(Arc::clone(&file.table));
                }
                mapping.build_id.clone_from(&file.build_id);
            }
            mappings.push((!is_main, mapping));
        }
        // The executable first; the others in address order.
        mappings.sort_by_key(|(not_main, mapping)| (*not_main, mapping.start));
        Self::from_mappings(mappings.into_iter().map(|(_, mapping)| mapping).collect())
    }

    /// The symbols of the given mappings (the main binary first).
    pub fn from_mappings(mappings: Vec<MappedFile>) -> Self {
        Self { mappings }
    }

    /// The executable mappings, the main binary first.
    pub fn mappings(&self) -> &[MappedFile] {
        &self.mappings
    }

    /// The mapping and the function of a runtime address.
    pub fn resolve(&self, address: u64) -> Resolved<'_> {
        let Some(mapping) = self.mappings.iter().position(|m| m.contains(address)) else {
            return Resolved {
                mapping: None,
                name: None,
            };
        };
        Resolved {
            mapping: Some(mapping),
            name: self.mappings[mapping].lookup(address),
        }
    }

    /// The heap memory the symbol tables hold, in bytes (a table shared by mappings once).
    pub fn heap_bytes(&self) -> usize {
        let mut seen: Vec<*const SymbolTable> = Vec::new();
        let mut bytes = 0;
        for table in self.mappings.iter().filter_map(|m| m.table.as_ref()) {
            if !seen.contains(&Arc::as_ptr(table)) {
                seen.push(Arc::as_ptr(table));
                bytes += table.heap_bytes();
            }
        }
        bytes
    }
}

/// A line of `/proc/self/maps`: `start-limit perms offset dev inode path`.
#[derive(Debug, PartialEq, Eq)]
struct MapsEntry<'a> {
    start: u64,
    limit: u64,
    executable: bool,
    offset: u64,
    path: &'a str,
}

impl<'a> MapsEntry<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let mut rest = line;
        let mut field = || {
            let trimmed = rest.trim_start();
            let end = trimmed.find(' ').unwrap_or(trimmed.len());
            let (field, after) = trimmed.split_at(end);
            rest = after;
            field
        };
        let (start, limit) = field().split_once('-')?;
        let perms = field();
        let offset = field();
        let _device = field();
        let _inode = field();
        let start = u64::from_str_radix(start, 16).ok()?;
        let limit = u64::from_str_radix(limit, 16).ok()?;
        (start < limit).then_some(())?;
        Some(Self {
            start,
            limit,
            executable: perms.contains('x'),
            offset: u64::from_str_radix(offset, 16).ok()?,
            // A path may hold spaces; a deleted file's ends with ` (deleted)`.
            path: rest.trim_start(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> SymbolTable {
        SymbolTable::from_functions(
            [
                (0x100, 0x10, "first"),
                (0x200, 0x20, "second"),
                (0x200, 0x08, "second_alias"),
                (0x300, 0, "no_size"),
                (0x400, 0x10, "first"),
            ]
            .map(|(start, size, name)| (start, size, Cow::Borrowed(name))),
        )
    }

    #[test]
    fn lookups_cover_each_function_from_its_start_to_its_end() {
        let table = table();
        assert_eq!(table.len(), 3);
        assert_eq!(table.lookup(0xff), None);
        assert_eq!(table.lookup(0x100), Some("first"));
        assert_eq!(table.lookup(0x10f), Some("first"));
        assert_eq!(table.lookup(0x110), None);
        // Of two symbols at one address, the larger.
        assert_eq!(table.lookup(0x21f), Some("second"));
        assert_eq!(table.lookup(0x300), None);
        assert_eq!(table.lookup(0x405), Some("first"));
        assert_eq!(table.lookup(u64::MAX), None);
        // A name is stored once.
        assert_eq!(table.names, "firstsecond");
    }

    #[test]
    fn rust_names_lose_their_hash_and_others_stay() {
        assert_eq!(
            demangle(b"_ZN4core3ptr13drop_in_place17h0123456789abcdefE"),
            "core::ptr::drop_in_place"
        );
        assert_eq!(
            demangle(b"_ZN3app5inner17h0123456789abcdefE.llvm.1234"),
            "app::inner"
        );
        assert_eq!(demangle(b"_RNvCs1234_3app5inner"), "app::inner");
        assert_eq!(demangle(b"perf_signal_handler"), "perf_signal_handler");
        assert_eq!(demangle(b"memcpy@GLIBC_2.14"), "memcpy@GLIBC_2.14");
    }

    #[test]
    fn maps_lines_are_parsed_with_paths_holding_spaces() {
        assert_eq!(
            MapsEntry::parse(
                "55d0c0a00000-55d0c0c00000 r-xp 002a4000 08:01 123456     /opt/my app/ferroalloy (deleted)"
            ),
            Some(MapsEntry {
                start: 0x55d0_c0a0_0000,
                limit: 0x55d0_c0c0_0000,
                executable: true,
                offset: 0x2a_4000,
                path: "/opt/my app/ferroalloy (deleted)",
            })
        );
        assert_eq!(
            MapsEntry::parse("7ffd1000-7ffd3000 r-xp 00000000 00:00 0                  [vdso]")
                .map(|entry| entry.path),
            Some("[vdso]")
        );
        let anonymous = MapsEntry::parse("7f0000000000-7f0000001000 rw-p 00000000 00:00 0");
        assert_eq!(
            anonymous.map(|entry| (entry.executable, entry.path)),
            Some((false, ""))
        );
        assert_eq!(MapsEntry::parse("garbage"), None);
        assert_eq!(MapsEntry::parse(""), None);
    }

    #[test]
    fn a_file_that_is_not_elf_is_an_error_naming_it() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else {
            return;
        };
        let path = dir.path().join("not-elf");
        assert!(std::fs::write(&path, b"#!/bin/sh\necho hello\n").is_ok());
        let err = ElfSymbols::read(&path)
            .map(|_| ())
            .map_err(|e| e.to_string());
        let message = err.err().unwrap_or_default();
        assert!(
            message.starts_with(&format!("failed to parse the elf file {}", path.display())),
            "{message}"
        );
        let missing = dir.path().join("missing");
        let message = ElfSymbols::read(&missing)
            .map(|_| ())
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default();
        assert!(
            message.starts_with(&format!("failed to read {}", missing.display())),
            "{message}"
        );
    }
}
