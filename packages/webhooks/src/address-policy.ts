import { isIP } from 'node:net';

/**
 * What an IP address is, for deciding whether a webhook may be sent to it. Only
 * `public` is reachable by default: everything else is this host, its network, or
 * an address no receiver on the internet has (SSRF guard).
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'unique-local'
  | 'link-local'
  | 'cgnat'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'invalid';

type Range = readonly [prefix: readonly number[], bits: number, kind: AddressClass];

/** Most specific first; matched on the address's bytes. */
const IPV4_RANGES: readonly Range[] = [
  [[0], 8, 'unspecified'],
  [[10], 8, 'private'],
  [[100, 64], 10, 'cgnat'],
  [[127], 8, 'loopback'],
  [[169, 254], 16, 'link-local'],
  [[172, 16], 12, 'private'],
  [[192, 0, 0], 24, 'reserved'],
  [[192, 0, 2], 24, 'reserved'],
  [[192, 88, 99], 24, 'reserved'],
  [[192, 168], 16, 'private'],
  [[198, 18], 15, 'reserved'],
  [[198, 51, 100], 24, 'reserved'],
  [[203, 0, 113], 24, 'reserved'],
  [[224], 4, 'multicast'],
  [[240], 4, 'reserved'],
];

const IPV6_RANGES: readonly Range[] = [
  // NAT64 for local use, Teredo, documentation, discard-only: nothing a receiver listens on.
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'private'],
  [[0x20, 0x01, 0x00, 0x00], 32, 'reserved'],
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'reserved'],
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'],
  [[0xfc], 7, 'unique-local'],
  [[0xfe, 0x80], 10, 'link-local'],
  // Site-local, deprecated but still routed inside some networks.
  [[0xfe, 0xc0], 10, 'private'],
  [[0xff], 8, 'multicast'],
];

function inRange(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const index = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((bytes[index] ?? 0) & mask) !== ((prefix[index] ?? 0) & mask)) return false;
  }
  return true;
}

function classifyIpv4Bytes(bytes: readonly number[]): AddressClass {
  if (bytes.every((byte) => byte === 255)) return 'reserved';
  return IPV4_RANGES.find(([prefix, bits]) => inRange(bytes, prefix, bits))?.[2] ?? 'public';
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address (zone id dropped, an embedded dotted IPv4 tail expanded). */
function ipv6Bytes(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a, b, c, d] = ipv4Bytes(dotted[1]) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function classifyIpv6Bytes(bytes: readonly number[]): AddressClass {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return classifyIpv4Bytes(bytes.slice(12)); // ::ffff:a.b.c.d
  if (zeros(0, 12)) {
    if (zeros(12, 15) && bytes[15] === 0) return 'unspecified';
    if (zeros(12, 15) && bytes[15] === 1) return 'loopback';
    // IPv4-compatible (::a.b.c.d), deprecated: nothing should be reached through it.
    return 'reserved';
  }
  // NAT64 (64:ff9b::a.b.c.d) reaches the embedded IPv4 address; 6to4 (2002:AABB:CCDD::) embeds one too.
  if (inRange(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return classifyIpv4Bytes(bytes.slice(12));
  if (bytes[0] === 0x20 && bytes[1] === 0x02) {
    const embedded = classifyIpv4Bytes(bytes.slice(2, 6));
    if (embedded !== 'public') return embedded;
  }
  const listed = IPV6_RANGES.find(([prefix, bits]) => inRange(bytes, prefix, bits))?.[2];
  if (listed) return listed;
  // Only 2000::/3 is allocated for global unicast.
  return ((bytes[0] ?? 0) & 0xe0) === 0x20 ? 'public' : 'reserved';
}

/** Classifies an IPv4 or IPv6 address as dns.lookup returns it (IPv4-mapped IPv6 is judged as its IPv4). */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare.replace(/%.*$/, ''));
  if (family === 4) return classifyIpv4Bytes(ipv4Bytes(bare));
  if (family === 6) return classifyIpv6Bytes(ipv6Bytes(bare));
  return 'invalid';
}

/** Whether a delivery may connect to `address`. */
export function isDeliverableAddress(address: string, allowPrivateAddresses: boolean): boolean {
  const kind = classifyAddress(address);
  if (kind === 'invalid') return false;
  return kind === 'public' || allowPrivateAddresses;
}
