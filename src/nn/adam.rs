//! Adam (Kingma & Ba 2015) with bias correction, as the paper trained with
//! (lr 2e-4, β1 0.5; docs/methods.md §7 "Optimiser").
//!
//! Per parameter θ with gradient g at step t (1-based):
//! m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
//! θ ← θ − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε).
//!
//! On the CPU the update is one fused, in-place pass over θ, g, m and v (a
//! candle `InplaceOp2` on θ with m and v held as plain vectors): no
//! temporaries, where `candle_nn::AdamW` allocates about a dozen tensors per
//! parameter and step. On other devices the same formula runs as tensor ops.
//! The moments and the step count are saved with checkpoints for resuming.

use crate::error::{Error, Result};
use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, DType, Device, InplaceOp2, Layout, Tensor, Var};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

/// Adam hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Learning rate (default 2e-4, the paper's).
    pub lr: f64,
    /// First-moment decay β1 (default 0.5, the paper's).
    pub beta1: f64,
    /// Second-moment decay β2 (default 0.999).
    pub beta2: f64,
    /// ε added to √v̂ (default 1e-7, Keras's).
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            eps: 1e-7,
        }
    }
}

impl AdamConfig {
    /// lr > 0, 0 ≤ β < 1, ε > 0; errors name the option.
    pub fn validate(&self) -> Result<()> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::arg("lr", format!("must be positive, got {}", self.lr)));
        }
        for (k, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(b.is_finite() && (0.0..1.0).contains(&b)) {
                return Err(Error::arg(k, format!("must be in [0, 1), got {b}")));
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(Error::arg("eps", format!("must be positive, got {}", self.eps)));
        }
        Ok(())
    }
}

enum Moments {
    Cpu { m: Vec<f32>, v: Vec<f32> },
    Device { m: Tensor, v: Tensor },
}

/// Adam state for a fixed list of named parameters.
pub struct Adam {
    /// Hyper-parameters (the learning rate may be changed between steps).
    pub config: AdamConfig,
    step: u64,
    names: Vec<String>,
    moments: Vec<Moments>,
}

/// The fused CPU update: θ in place, g read, m and v in place.
struct FusedAdam<'a> {
    m: RefCell<&'a mut [f32]>,
    v: RefCell<&'a mut [f32]>,
    lr_hat: f32,
    b1: f32,
    b2: f32,
    eps_hat: f32,
}

impl InplaceOp2 for FusedAdam<'_> {
    fn name(&self) -> &'static str {
        "locus-fused-adam"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<()> {
        let (CpuStorage::F32(p), CpuStorage::F32(g)) = (s1, s2) else {
            candle_core::bail!("fused adam: parameters and gradients must be f32");
        };
        let (Some((p0, p1)), Some((g0, g1))) = (l1.contiguous_offsets(), l2.contiguous_offsets()) else {
            candle_core::bail!("fused adam: non-contiguous parameter or gradient");
        };
        let p = &mut p[p0..p1];
        let g = &g[g0..g1];
        let mut m = self.m.borrow_mut();
        let mut v = self.v.borrow_mut();
        if g.len() != p.len() || m.len() != p.len() || v.len() != p.len() {
            candle_core::bail!("fused adam: size mismatch");
        }
        let (b1, b2, lr, eps) = (self.b1, self.b2, self.lr_hat, self.eps_hat);
        // θ ← θ − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε·√(1−β2ᵗ)), algebraically
        // the bias-corrected form of the module doc.
        const CHUNK: usize = 1 << 14;
        p.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
            .for_each(|((p, g), (m, v))| {
                for i in 0..p.len() {
                    let gi = g[i];
                    let mi = b1 * m[i] + (1.0 - b1) * gi;
                    let vi = b2 * v[i] + (1.0 - b2) * gi * gi;
                    m[i] = mi;
                    v[i] = vi;
                    p[i] -= lr * mi / (vi.sqrt() + eps);
                }
            });
        Ok(())
    }
}

impl Adam {
    /// Zeroed moments for `vars` (names must be unique).
    pub fn new(vars: &[(String, Var)], config: AdamConfig) -> Result<Adam> {
        config.validate()?;
        let mut moments = Vec::with_capacity(vars.len());
        for (_, v) in vars {
            if v.dtype() != DType::F32 {
                return Err(Error::Nn("Adam supports f32 parameters only".into()));
            }
            moments.push(if v.device().is_cpu() {
                Moments::Cpu {
                    m: vec![0.0; v.elem_count()],
                    v: vec![0.0; v.elem_count()],
                }
            } else {
                Moments::Device {
                    m: v.zeros_like()?,
                    v: v.zeros_like()?,
                }
            });
        }
        Ok(Adam {
            config,
            step: 0,
            names: vars.iter().map(|(n, _)| n.clone()).collect(),
            moments,
        })
    }

    /// Steps taken so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// One update of every parameter that has a gradient in `grads`.
    /// `vars` must be the list given to [`Adam::new`].
    pub fn step(&mut self, vars: &[(String, Var)], grads: &GradStore) -> Result<()> {
        if vars.len() != self.names.len() {
            return Err(Error::Nn("Adam: parameter list changed".into()));
        }
        self.config.validate()?;
        let t = (self.step + 1) as i32;
        let c = self.config;
        let bc1 = 1.0 - c.beta1.powi(t);
        let bc2 = 1.0 - c.beta2.powi(t);
        for ((name, var), mom) in vars.iter().zip(self.moments.iter_mut()) {
            let Some(g) = grads.get(var.as_tensor()) else {
                continue;
            };
            if g.dims() != var.dims() {
                return Err(Error::Nn(format!("Adam: gradient of {name} has the wrong shape")));
            }
            match mom {
                Moments::Cpu { m, v } => {
                    let g = g.to_dtype(DType::F32)?.contiguous()?;
                    let op = FusedAdam {
                        m: RefCell::new(m.as_mut_slice()),
                        v: RefCell::new(v.as_mut_slice()),
                        lr_hat: (c.lr * bc2.sqrt() / bc1) as f32,
                        b1: c.beta1 as f32,
                        b2: c.beta2 as f32,
                        eps_hat: (c.eps * bc2.sqrt()) as f32,
                    };
                    var.as_tensor().inplace_op2(&g, &op)?;
                }
                Moments::Device { m, v } => {
                    let g = g.detach();
                    *m = ((&*m * c.beta1)? + (&g * (1.0 - c.beta1))?)?;
                    *v = ((&*v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
                    let upd = ((&*m * (c.lr / bc1))? / ((&*v * (1.0 / bc2))?.sqrt()? + c.eps)?)?;
                    var.set(&(var.as_tensor().detach() - upd)?)?;
                }
            }
        }
        self.step += 1;
        Ok(())
    }

    /// The moments as named tensors (`m.<name>`, `v.<name>`) and the step count
    /// as a one-element f64 tensor `step`.
    pub fn state_tensors(&self) -> Result<HashMap<String, Tensor>> {
        let mut out = HashMap::new();
        for (name, mom) in self.names.iter().zip(&self.moments) {
            let (m, v) = match mom {
                Moments::Cpu { m, v } => (
                    Tensor::from_slice(m, m.len(), &Device::Cpu)?,
                    Tensor::from_slice(v, v.len(), &Device::Cpu)?,
                ),
                Moments::Device { m, v } => (m.flatten_all()?, v.flatten_all()?),
            };
            out.insert(format!("m.{name}"), m);
            out.insert(format!("v.{name}"), v);
        }
        out.insert(
            "step".into(),
            Tensor::from_slice(&[self.step as f64], 1, &Device::Cpu)?,
        );
        Ok(out)
    }

    /// Save the state to a safetensors file.
    pub fn save(&self, path: &Path) -> Result<()> {
        candle_core::safetensors::save(&self.state_tensors()?, path)
            .map_err(|e| Error::format(path, format!("cannot write optimiser state: {e}")))
    }

    /// Restore moments and step count saved by [`Adam::save`] for the same
    /// parameter names and sizes.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        let data = candle_core::safetensors::load(path, &Device::Cpu)
            .map_err(|e| Error::format(path, format!("cannot read optimiser state: {e}")))?;
        let get = |k: &str, n: usize| -> Result<Tensor> {
            let t = data
                .get(k)
                .ok_or_else(|| Error::format(path, format!("optimiser state lacks {k}")))?;
            if t.elem_count() != n {
                return Err(Error::format(
                    path,
                    format!("optimiser state {k} has {} values, expected {n}", t.elem_count()),
                ));
            }
            Ok(t.to_dtype(DType::F32)?.flatten_all()?)
        };
        let step = data
            .get("step")
            .ok_or_else(|| Error::format(path, "optimiser state lacks the step count"))?
            .to_dtype(DType::F64)?
            .flatten_all()?
            .to_vec1::<f64>()?;
        let mut new = Vec::with_capacity(self.moments.len());
        for (name, mom) in self.names.iter().zip(&self.moments) {
            let n = match mom {
                Moments::Cpu { m, .. } => m.len(),
                Moments::Device { m, .. } => m.elem_count(),
            };
            let m = get(&format!("m.{name}"), n)?;
            let v = get(&format!("v.{name}"), n)?;
            new.push(match mom {
                Moments::Cpu { .. } => Moments::Cpu {
                    m: m.to_vec1::<f32>()?,
                    v: v.to_vec1::<f32>()?,
                },
                Moments::Device { m: old, .. } => Moments::Device {
                    m: m.to_device(old.device())?.reshape(old.shape())?,
                    v: v.to_device(old.device())?.reshape(old.shape())?,
                },
            });
        }
        self.moments = new;
        self.step = step.first().copied().unwrap_or(0.0) as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_update_matches_textbook_adam() {
        // Minimise Σ (θ − c)² for a few steps; compare with a scalar f64 Adam.
        let c = [0.5f64, -1.0, 2.0, 0.0, 3.0];
        let theta = Var::from_slice(&[0.0f32; 5], 5, &Device::Cpu).unwrap();
        let target =
            Tensor::from_vec(c.iter().map(|&v| v as f32).collect::<Vec<_>>(), 5, &Device::Cpu).unwrap();
        let vars = vec![("theta".to_string(), theta.clone())];
        let cfg = AdamConfig {
            lr: 0.1,
            ..Default::default()
        };
        let mut adam = Adam::new(&vars, cfg).unwrap();
        let (mut th, mut m, mut v) = ([0.0f64; 5], [0.0f64; 5], [0.0f64; 5]);
        for t in 1..=10 {
            let loss = (theta.as_tensor() - &target)
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap();
            adam.step(&vars, &loss.backward().unwrap()).unwrap();
            for i in 0..5 {
                let g = 2.0 * (th[i] - c[i]);
                m[i] = cfg.beta1 * m[i] + (1.0 - cfg.beta1) * g;
                v[i] = cfg.beta2 * v[i] + (1.0 - cfg.beta2) * g * g;
                let mh = m[i] / (1.0 - cfg.beta1.powi(t));
                let vh = v[i] / (1.0 - cfg.beta2.powi(t));
                th[i] -= cfg.lr * mh / (vh.sqrt() + cfg.eps);
            }
        }
        let got = theta.to_vec1::<f32>().unwrap();
        for i in 0..5 {
            assert!(
                (got[i] as f64 - th[i]).abs() < 1e-5,
                "{i}: {} vs {}",
                got[i],
                th[i]
            );
        }
        assert_eq!(adam.step_count(), 10);
        // First step moves every coordinate by ≈ lr (the sign of the gradient).
    }

    #[test]
    fn save_and_load_state() {
        let a = Var::from_slice(&[1.0f32, 2.0, 3.0], 3, &Device::Cpu).unwrap();
        let vars = vec![("a".to_string(), a.clone())];
        let mut adam = Adam::new(&vars, AdamConfig::default()).unwrap();
        let loss = a.as_tensor().sqr().unwrap().sum_all().unwrap();
        adam.step(&vars, &loss.backward().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("adam.safetensors");
        adam.save(&p).unwrap();
        let mut b = Adam::new(&vars, AdamConfig::default()).unwrap();
        b.load(&p).unwrap();
        assert_eq!(b.step_count(), 1);
        assert_eq!(
            b.state_tensors().unwrap()["m.a"].to_vec1::<f32>().unwrap(),
            adam.state_tensors().unwrap()["m.a"].to_vec1::<f32>().unwrap()
        );
        // Wrong parameter set → clear error.
        let other = vec![("b".to_string(), a.clone())];
        let mut c = Adam::new(&other, AdamConfig::default()).unwrap();
        let e = c.load(&p).unwrap_err().to_string();
        assert!(e.contains("lacks m.b"), "{e}");
        assert!(Adam::new(
            &vars,
            AdamConfig {
                beta1: 1.0,
                ..Default::default()
            }
        )
        .is_err());
    }
}
