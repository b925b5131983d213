/**
 * Which event keys the store may already hold, answered from memory. A Bloom filter: "no" is
 * certain, "maybe" is sometimes wrong (about 1 in 100). The intake acknowledges a delivery whose
 * keys are all certainly new before the store has it, and sends the "maybe"s the slow, exact way.
 * It grows by adding a filter twice the size of the last once that one is full, so the store's
 * size need not be known in advance.
 */
const bitsPerKey = 10;
const probes = 7;

export class KeyFilter {
  private readonly layers: { bits: Uint32Array; capacity: number; count: number }[] = [];

  constructor(firstCapacity = 65_536) {
    this.addLayer(firstCapacity);
  }

  add(key: string): void {
    let top = this.layers.at(-1)!;
    if (top.count >= top.capacity) top = this.addLayer(top.capacity * 2);
    const [h1, h2] = hashes(key);
    const size = top.bits.length * 32;
    for (let i = 0; i < probes; i++) {
      const bit = (h1 + i * h2) % size;
      top.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    top.count++;
  }

  mayHave(key: string): boolean {
    const [h1, h2] = hashes(key);
    return this.layers.some((layer) => {
      const size = layer.bits.length * 32;
      for (let i = 0; i < probes; i++) {
        const bit = (h1 + i * h2) % size;
        if ((layer.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
      }
      return true;
    });
  }

  private addLayer(capacity: number) {
    const layer = { bits: new Uint32Array(Math.ceil((capacity * bitsPerKey) / 32)), capacity, count: 0 };
    this.layers.push(layer);
    return layer;
  }
}

/** Two independent 32-bit FNV-1a hashes of the key (different offsets), the second made odd. */
function hashes(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return [a >>> 0, (b | 1) >>> 0];
}
