//! A small log-linear histogram of microseconds: 64 sub-buckets per power of two (error under
//! 1.6 %), mergeable across worker processes, serialised sparsely.

use serde::{Deserialize, Serialize};

const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
/// Enough buckets for any u64.
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

#[derive(Debug, Clone)]
pub struct Hist {
    counts: Vec<u64>,
    pub count: u64,
    pub sum: u128,
    pub min: u64,
    pub max: u64,
}

impl Default for Hist {
    fn default() -> Self {
        Self { counts: vec![0; BUCKETS], count: 0, sum: 0, min: u64::MAX, max: 0 }
    }
}

fn index(v: u64) -> usize {
    if v < SUB {
        v as usize
    } else {
        let log2 = 63 - v.leading_zeros();
        let shift = log2 - SUB_BITS;
        let mantissa = (v >> shift) as usize; // in [SUB, 2 SUB)
        (shift as usize + 1) * SUB as usize + (mantissa - SUB as usize)
    }
}

/// Lowest value and width of a bucket.
fn bounds(i: usize) -> (u64, u64) {
    if i < SUB as usize {
        (i as u64, 1)
    } else {
        let shift = (i / SUB as usize - 1) as u32;
        let mantissa = SUB + (i % SUB as usize) as u64;
        (mantissa << shift, 1u64 << shift)
    }
}

/// The sparse wire form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HistWire {
    pub buckets: Vec<(u32, u64)>,
    pub count: u64,
    pub sum: u128,
    pub min: u64,
    pub max: u64,
}

impl Hist {
    pub fn record(&mut self, v: u64) {
        self.counts[index(v)] += 1;
        self.count += 1;
        self.sum += u128::from(v);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// The value at quantile `q` (0..=1): the middle of its bucket, never above the maximum.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank == self.count {
            return Some(self.max);
        }
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (low, width) = bounds(i);
                return Some((low + width / 2).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    pub fn merge(&mut self, other: &Hist) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub fn to_wire(&self) -> HistWire {
        HistWire {
            buckets: self.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| (i as u32, *c)).collect(),
            count: self.count,
            sum: self.sum,
            min: self.min,
            max: self.max,
        }
    }

    pub fn from_wire(wire: &HistWire) -> Self {
        let mut h = Hist::default();
        for &(i, c) in &wire.buckets {
            if let Some(slot) = h.counts.get_mut(i as usize) {
                *slot += c;
            }
        }
        h.count = wire.count;
        h.sum = wire.sum;
        h.min = wire.min;
        h.max = wire.max;
        h
    }

    /// p50, p99 and max in milliseconds, for JSON.
    pub fn summary_ms(&self) -> serde_json::Value {
        let ms = |v: Option<u64>| v.map(|us| (us as f64 / 1000.0 * 100.0).round() / 100.0);
        serde_json::json!({
            "count": self.count,
            "p50_ms": ms(self.quantile(0.50)),
            "p90_ms": ms(self.quantile(0.90)),
            "p99_ms": ms(self.quantile(0.99)),
            "max_ms": ms((self.count > 0).then_some(self.max)),
            "mean_ms": self.mean().map(|m| (m / 1000.0 * 100.0).round() / 100.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip() {
        for v in [0u64, 1, 63, 64, 65, 127, 128, 1000, 123_456, u64::MAX / 2] {
            let (low, width) = bounds(index(v));
            assert!(low <= v && v < low.saturating_add(width), "{v}: {low}+{width}");
        }
    }

    #[test]
    fn quantiles_are_close() {
        let mut h = Hist::default();
        for v in 1..=100_000u64 {
            h.record(v);
        }
        let p50 = h.quantile(0.5).unwrap_or(0) as f64;
        assert!((p50 - 50_000.0).abs() / 50_000.0 < 0.02, "{p50}");
        assert_eq!(h.quantile(1.0), Some(100_000));
    }
}
