/**
 * CSV as Excel and 台账 keep it: UTF-8 with or without a BOM, or GBK (Excel's "CSV" on a
 * Chinese Windows). The encoding is decided from the first chunk: a BOM says it; otherwise
 * text that is not valid UTF-8 is GBK. Streamed through csv-parse, one record at a time.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { parse } from "csv-parse";
import iconv from "iconv-lite";
import type { SheetReader, SheetRow } from "./rows.ts";

export type CsvEncoding = "utf8" | "gbk";

/** How much of the start decides the encoding. */
const SNIFF_BYTES = 64 * 1024;

/** The encoding of text that starts with these bytes, and the length of its BOM. */
export function sniffEncoding(head: Buffer): { encoding: CsvEncoding; bom: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: "utf8", bom: 3 };
  try {
    // `stream: true` lets the sample end inside a character without counting as invalid.
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return { encoding: "utf8", bom: 0 };
  } catch {
    return { encoding: "gbk", bom: 0 };
  }
}

/** Decodes a byte stream to text, deciding the encoding on its first chunk. */
class Decoding extends Transform {
  private decode: ((chunk: Buffer) => string) | null = null;
  private finish: () => string = () => "";
  private head: Buffer[] = [];
  private headBytes = 0;
  consumed = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.consumed += chunk.length;
    if (this.decode) {
      this.push(this.decode(chunk));
      return done();
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes >= SNIFF_BYTES) this.start();
    done();
  }

  override _flush(done: TransformCallback) {
    if (!this.decode) this.start();
    const rest = this.finish();
    if (rest) this.push(rest);
    done();
  }

  private start() {
    const head = Buffer.concat(this.head);
    this.head = [];
    const { encoding, bom } = sniffEncoding(head);
    if (encoding === "utf8") {
      const decoder = new StringDecoder("utf8");
      this.decode = (c) => decoder.write(c);
      this.finish = () => decoder.end();
    } else {
      const decoder = iconv.getDecoder("gbk");
      this.decode = (c) => decoder.write(c);
      this.finish = () => decoder.end() ?? "";
    }
    const text = this.decode(head.subarray(bom));
    if (text) this.push(text);
  }
}

/**
 * A value Excel wrote from a numeric cell in scientific notation ("1.10105E+17"): the digits
 * beyond the 15th are gone, as in a numeric cell of a workbook.
 */
const NUMERIC_EXPORT = /^\d(\.\d+)?E\+\d+$/i;

export async function readCsv(source: { path: string } | { buffer: Buffer }): Promise<SheetReader> {
  const input = "path" in source ? createReadStream(source.path) : Readable.from([source.buffer]);
  const total = Math.max(
    1,
    "path" in source ? (await stat(source.path)).size : source.buffer.length,
  );
  const decoding = new Decoding();
  const parser = parse({
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    info: true,
  });
  input.on("error", (err: Error) => decoding.destroy(err));
  decoding.on("error", (err: Error) => parser.destroy(err));
  input.pipe(decoding).pipe(parser);

  async function* rows(): AsyncGenerator<SheetRow> {
    for await (const record of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      yield {
        row: record.info.lines,
        cells: record.record.map((v) => {
          const value = v.trim();
          if (value === "") return null;
          // Kept a number, so the ID column refuses it as it refuses a numeric cell.
          return NUMERIC_EXPORT.test(value) ? Number(value) : v;
        }),
      };
    }
  }
  return { rows: rows(), progress: () => Math.min(1, decoding.consumed / total) };
}
