/**
 * Writes samples into a real Prometheus through its remote-write receiver
 * (`--web.enable-remote-write-receiver`): a `prometheus.WriteRequest` protobuf, snappy-framed.
 * The message has four small types, so it is encoded here by hand; the snappy block holds the
 * bytes as literals (valid snappy that does not compress), which every decoder reads.
 */

/** One series and its samples: `[timestamp in ms, value]`, oldest first. */
export interface WrittenSeries {
  labels: Record<string, string>;
  samples: Array<[number, number]>;
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push(rest % 0x80 | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

/** A length-delimited field (wire type 2). */
function field(number: number, bytes: number[] | Uint8Array): number[] {
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...bytes];
}

function text(number: number, value: string): number[] {
  return field(number, new TextEncoder().encode(value));
}

function sample(timestampMs: number, value: number): number[] {
  const double = Buffer.alloc(8);
  double.writeDoubleLE(value);
  // value: double (field 1, wire type 1); timestamp: int64 (field 2, wire type 0).
  return [(1 << 3) | 1, ...double, (2 << 3) | 0, ...varint(timestampMs)];
}

function timeSeries({ labels, samples }: WrittenSeries): number[] {
  // Label names are ASCII: sort() orders them as Prometheus does (by bytes).
  return [
    ...Object.keys(labels)
      .sort()
      .flatMap(name => field(1, [...text(1, name), ...text(2, labels[name])])),
    ...samples.flatMap(([t, v]) => field(2, sample(t, v))),
  ];
}

/** A snappy block of literals only. */
function snappyLiterals(data: Uint8Array): Buffer {
  const parts = [Buffer.from(varint(data.length))];
  for (let offset = 0; offset < data.length; offset += 0x10000) {
    const chunk = data.subarray(offset, offset + 0x10000);
    const n = chunk.length - 1;
    if (n < 60) parts.push(Buffer.from([n << 2]));
    else if (n < 0x100) parts.push(Buffer.from([60 << 2, n]));
    else parts.push(Buffer.from([61 << 2, n & 0xff, n >> 8]));
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}

/** Posts `series` to `<prometheusUrl>/api/v1/write`; throws with Prometheus' answer on failure. */
export async function remoteWrite(
  prometheusUrl: string,
  series: WrittenSeries[],
): Promise<void> {
  const message = Buffer.concat(
    series.map(s => Buffer.from(field(1, timeSeries(s)))),
  );
  const response = await fetch(`${prometheusUrl}/api/v1/write`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    },
    body: snappyLiterals(message),
  });
  if (!response.ok) {
    throw new Error(
      `Remote write failed: HTTP ${response.status} ${await response.text()}`,
    );
  }
}
