/**
 * A streaming .xlsx reader: the first worksheet, row by row, on yauzl (zip) and saxes (XML).
 * exceljs's streaming reader turns CJK text split across two chunks into U+FFFD (exceljs
 * issues #2063, #2084, #2316); here every entry is decoded with a StringDecoder, which keeps a
 * character cut by a chunk boundary for the next chunk. Memory holds the shared strings table
 * and one chunk's rows, never the sheet.
 */
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { SaxesParser } from "saxes";
import yauzl from "yauzl";
import { type SheetCell, type SheetReader, type SheetRow, UnreadableSheetError } from "./rows.ts";

type ZipFile = yauzl.ZipFile;
type Entry = yauzl.Entry;

function openZip(source: { path: string } | { buffer: Buffer }): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, zip?: ZipFile) =>
      err || !zip ? reject(new UnreadableSheetError("damaged")) : resolve(zip);
    const options = { lazyEntries: true, autoClose: false };
    if ("path" in source) yauzl.open(source.path, options, done);
    else yauzl.fromBuffer(source.buffer, options, done);
  });
}

function listEntries(zip: ZipFile): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>();
    zip.on("entry", (entry: Entry) => {
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.once("end", () => resolve(entries));
    zip.once("error", () => reject(new UnreadableSheetError("damaged")));
    zip.readEntry();
  });
}

function entryStream(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (err, stream) =>
      err || !stream ? reject(new UnreadableSheetError("damaged")) : resolve(stream),
    ),
  );
}

/** Feeds an entry's XML to a parser in chunks, calling `between` after each chunk. */
async function* parseEntry(
  zip: ZipFile,
  entry: Entry,
  parser: SaxesParser,
): AsyncGenerator<number> {
  const decoder = new StringDecoder("utf8");
  const stream = await entryStream(zip, entry);
  try {
    for await (const chunk of stream) {
      parser.write(decoder.write(chunk as Buffer));
      yield (chunk as Buffer).length;
    }
    parser.write(decoder.end());
    parser.close();
  } catch (err) {
    stream.destroy();
    throw err instanceof UnreadableSheetError ? err : new UnreadableSheetError("damaged");
  }
}

async function readWhole(zip: ZipFile, entry: Entry | undefined, parser: SaxesParser) {
  if (!entry) return;
  for await (const _ of parseEntry(zip, entry, parser));
}

const localName = (name: string) => name.slice(name.indexOf(":") + 1);

/** The first worksheet's entry name, from the workbook and its relationships. */
async function firstSheetPath(zip: ZipFile, entries: Map<string, Entry>): Promise<string> {
  let relId: string | null = null;
  const workbook = new SaxesParser();
  workbook.on("opentag", (tag) => {
    if (relId === null && localName(tag.name) === "sheet") {
      const attr = Object.entries(tag.attributes).find(([k]) => localName(k) === "id");
      relId = attr ? String(attr[1]) : null;
    }
  });
  await readWhole(zip, entries.get("xl/workbook.xml"), workbook);
  let target: string | null = null;
  const rels = new SaxesParser();
  rels.on("opentag", (tag) => {
    if (localName(tag.name) === "Relationship" && tag.attributes.Id === relId) {
      target = String(tag.attributes.Target);
    }
  });
  await readWhole(zip, entries.get("xl/_rels/workbook.xml.rels"), rels);
  if (target === null) {
    const fallback = [...entries.keys()].find((n) => /^xl\/worksheets\/[^/]+\.xml$/.test(n));
    if (!fallback) throw new UnreadableSheetError("format");
    return fallback;
  }
  const t = target as string;
  return t.startsWith("/") ? t.slice(1) : `xl/${t}`;
}

/** The shared strings table: rich text runs joined, phonetic hints (rPh) left out. */
async function sharedStrings(zip: ZipFile, entry: Entry | undefined): Promise<string[]> {
  const strings: string[] = [];
  const parser = new SaxesParser();
  let current: string[] | null = null;
  let inText = false;
  let phonetic = 0;
  parser.on("opentag", (tag) => {
    const name = localName(tag.name);
    if (name === "si") current = [];
    else if (name === "rPh") phonetic++;
    else if (name === "t" && phonetic === 0) inText = true;
  });
  parser.on("text", (text) => {
    if (inText && current) current.push(text);
  });
  parser.on("closetag", (tag) => {
    const name = localName(tag.name);
    if (name === "t") inText = false;
    else if (name === "rPh") phonetic--;
    else if (name === "si" && current) {
      strings.push(current.join(""));
      current = null;
    }
  });
  await readWhole(zip, entry, parser);
  return strings;
}

/** "AB12" → 27 (0-based column). */
function columnOf(ref: string): number {
  let col = 0;
  for (const ch of ref) {
    const code = ch.charCodeAt(0);
    if (code < 65 || code > 90) break;
    col = col * 26 + (code - 64);
  }
  return col - 1;
}

export async function readXlsx(
  source: { path: string } | { buffer: Buffer },
): Promise<SheetReader> {
  const zip = await openZip(source);
  const entries = await listEntries(zip);
  const sheetPath = await firstSheetPath(zip, entries);
  const sheet = entries.get(sheetPath);
  if (!sheet) {
    zip.close();
    throw new UnreadableSheetError("format");
  }
  const strings = await sharedStrings(zip, entries.get("xl/sharedStrings.xml"));
  let consumed = 0;
  const total = Math.max(1, sheet.uncompressedSize);

  async function* rows(): AsyncGenerator<SheetRow> {
    const parser = new SaxesParser();
    const ready: SheetRow[] = [];
    let row: SheetRow | null = null;
    let nextRow = 1;
    let cellType = "n";
    let cellCol = 0;
    let nextCol = 0;
    let value: string[] | null = null;
    parser.on("opentag", (tag) => {
      switch (localName(tag.name)) {
        case "row": {
          const r = Number(tag.attributes.r);
          row = { row: Number.isInteger(r) && r > 0 ? r : nextRow, cells: [] };
          nextRow = row.row + 1;
          nextCol = 0;
          break;
        }
        case "c": {
          cellType = String(tag.attributes.t ?? "n");
          const ref = tag.attributes.r;
          cellCol = ref ? columnOf(String(ref)) : nextCol;
          nextCol = cellCol + 1;
          value = null;
          break;
        }
        case "v":
        case "is":
          value = [];
          break;
      }
    });
    parser.on("text", (text) => {
      if (value) value.push(text);
    });
    parser.on("closetag", (tag) => {
      const name = localName(tag.name);
      if (name === "c" && row && value) {
        const raw = value.join("");
        let cell: SheetCell;
        if (cellType === "s") cell = strings[Number(raw)] ?? null;
        else if (cellType === "inlineStr" || cellType === "str" || cellType === "d") cell = raw;
        else if (cellType === "b") cell = raw === "1" ? "TRUE" : "FALSE";
        else if (cellType === "e") cell = null;
        else cell = raw === "" ? null : Number(raw);
        row.cells[cellCol] = cell;
        value = null;
      } else if (name === "row" && row) {
        for (let i = 0; i < row.cells.length; i++) row.cells[i] ??= null;
        ready.push(row);
        row = null;
      }
    });
    try {
      for await (const bytes of parseEntry(zip, sheet!, parser)) {
        consumed = Math.min(total, consumed + bytes);
        while (ready.length > 0) yield ready.shift()!;
      }
      while (ready.length > 0) yield ready.shift()!;
    } finally {
      zip.close();
    }
  }
  return { rows: rows(), progress: () => consumed / total };
}
