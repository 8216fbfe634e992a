// Exact summation for metric states: a sum kept as a list of non-overlapping float64 partials
// (Shewchuk's expansion, the algorithm behind Python's math.fsum), so a state holds the exact
// real sum of everything added and merging two states loses nothing. `value()` rounds that
// exact sum once, correctly (half to even), so the result is the same bit for bit whatever the
// order of additions and merges: batch splits, worker counts and merge orders cannot change it.

/** The JSON form of an {@link ExactSum}: the partials, and which non-finite values were added. */
export interface ExactSumJSON {
  /** Non-overlapping partials, increasing in magnitude; their real sum is the exact sum. */
  p: number[];
  /** Set when a NaN was added (or when +∞ and −∞ both were). */
  nan?: true;
  /** Set when +∞ was added (or a finite sum overflowed upwards). */
  posInf?: true;
  /** Set when −∞ was added (or a finite sum overflowed downwards). */
  negInf?: true;
}

/** An exactly accumulated float64 sum (see the file comment). */
export class ExactSum {
  private partials: number[] = [];
  private nan = false;
  private posInf = false;
  private negInf = false;

  /** Adds `x` exactly. Non-finite values make the result NaN or ±∞, as IEEE addition would. */
  add(x: number): void {
    if (!Number.isFinite(x)) {
      if (Number.isNaN(x)) this.nan = true;
      else if (x > 0) this.posInf = true;
      else this.negInf = true;
      return;
    }
    const p = this.partials;
    let i = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j];
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      if (!Number.isFinite(hi)) {
        // The exact sum exceeds the float64 range: it can only round to ±∞ (fsum raises here).
        if (hi > 0) this.posInf = true;
        else this.negInf = true;
        this.partials = [];
        return;
      }
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    p.length = i;
    p.push(x);
  }

  /** Adds every term of `other` (exactly: the result is the sum of both exact sums). */
  merge(other: ExactSum): void {
    for (const v of other.partials) this.add(v);
    this.nan ||= other.nan;
    this.posInf ||= other.posInf;
    this.negInf ||= other.negInf;
  }

  /** The exact sum rounded once to the nearest float64 (ties to even). */
  value(): number {
    if (this.nan || (this.posInf && this.negInf)) return NaN;
    if (this.posInf) return Infinity;
    if (this.negInf) return -Infinity;
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    // Sum from the largest partial down until the remainder is no longer representable.
    let hi = p[--n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n];
      hi = x + y;
      const yr = hi - x;
      lo = y - yr;
      if (lo !== 0) break;
    }
    // Round half to even correctly when the rest of the partials push a tie one way.
    if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  /** A copy. */
  clone(): ExactSum {
    const c = new ExactSum();
    c.partials = this.partials.slice();
    c.nan = this.nan;
    c.posInf = this.posInf;
    c.negInf = this.negInf;
    return c;
  }

  toJSON(): ExactSumJSON {
    const j: ExactSumJSON = { p: this.partials.slice() };
    if (this.nan) j.nan = true;
    if (this.posInf) j.posInf = true;
    if (this.negInf) j.negInf = true;
    return j;
  }

  /** Restores a sum from {@link toJSON}'s form; `what` names it in errors. */
  static fromJSON(j: unknown, what: string): ExactSum {
    if (typeof j !== 'object' || j === null || !Array.isArray((j as ExactSumJSON).p)) {
      throw new TypeError(`${what} must be an object { p: number[] }, got ${JSON.stringify(j)}`);
    }
    const s = new ExactSum();
    const o = j as ExactSumJSON;
    // Re-adding the partials re-establishes the invariant even for a hand-edited list.
    for (const v of o.p) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${what}: partials must be finite numbers, got ${JSON.stringify(v)}`);
      s.add(v);
    }
    s.nan = o.nan === true;
    s.posInf = o.posInf === true;
    s.negInf = o.negInf === true;
    return s;
  }
}
