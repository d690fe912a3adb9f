//! The pix2pix U-Net generator of the paper ("Deep Neural Network"; METHODS.md §7).
//!
//! * `depth` encoder blocks: Conv2d(f, 4×4, stride 2, padding 1, no bias) →
//!   BatchNorm (not in the first block, and not in the innermost block: see
//!   below) → LeakyReLU(`leaky`). Filters `f_i = filters·min(2^i, 8)`, i.e.
//!   64, 128, 256, 512, 512, … for the default base 64.
//! * `depth − 1` decoder blocks, mirrored: ConvTranspose2d(f, 4×4, stride 2,
//!   padding 1, no bias) → BatchNorm → Dropout(`dropout`, first 3 blocks, in
//!   training only) → ReLU → concatenate the mirrored encoder output.
//! * Output: ConvTranspose2d(1, 4×4, stride 2, padding 1) with bias → tanh.
//! * With [`Upsample::ResizeConv`] every ConvTranspose2d above (decoder and
//!   output) is replaced by nearest-neighbour ×2 upsampling followed by
//!   Conv2d(f, 3×3, stride 1, padding 1) with the same number of filters
//!   (Odena, Dumoulin & Olah 2016; METHODS.md §7 "Upsampling"): no uneven
//!   kernel overlap, hence no checkerboard texture. On the CPU it runs as one
//!   transposed convolution with an equivalent 4×4 kernel
//!   ([`ops::resize_conv2d`]), at the cost of the paper's layer.
//!
//! BatchNorm follows Keras: ε = 1e-3, momentum 0.99 (running = 0.99·running +
//! 0.01·batch), biased batch variance both for normalising and for the running
//! variance. Training mode normalises with the batch statistics and updates the
//! running statistics; inference mode uses the running statistics.
//!
//! The innermost (bottleneck) encoder block has **no BatchNorm**, as in
//! pix2pix-pytorch: with 8 blocks on 256² inputs the bottleneck is 1×1 and
//! BatchNorm over a single value per channel at batch 1 zeroes the signal
//! (METHODS.md §7, "Known traps"). Running statistics are checked for
//! finiteness after every update.
//!
//! Weights are Glorot-uniform (limit √(6/(fan_in + fan_out)), fan = channels ·
//! kernel area, 4·4 or 3·3), drawn from a seeded generator; biases and BatchNorm shifts are 0,
//! scales 1, running means 0 and running variances 1. All variables (running
//! statistics included) live in one [`VarMap`] under stable names
//! (`down{i}.conv.weight`, `down{i}.bn.{weight,bias,running_mean,running_var}`,
//! `up{j}.…`, `out.conv.{weight,bias}`) so checkpoints save and load by name.
//!
//! With D = 8 and base 64 the net has 54,407,809 trainable parameters
//! (the paper's 54.4 M).

use crate::error::{Error, Result};
use crate::nn::ops;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// Filter growth stops at this multiple of the base.
const MAX_FILTER_FACTOR: usize = 8;
/// Decoder blocks with dropout (the first ones, from the bottleneck).
const DROPOUT_BLOCKS: usize = 3;
/// BatchNorm ε (Keras default).
pub const BN_EPS: f64 = 1e-3;
/// BatchNorm momentum (Keras convention: weight of the old running value).
pub const BN_MOMENTUM: f64 = 0.99;

/// How the decoder blocks and the output layer double the resolution.
///
/// The paper's transposed convolutions (4×4, stride 2) overlap unevenly and
/// leave a checkerboard texture (Odena, Dumoulin & Olah 2016, "Deconvolution
/// and checkerboard artifacts", Distill; METHODS.md §7 "Upsampling");
/// resize-convolution is their remedy. Nearest-neighbour resizing is used
/// (Odena et al.'s recommendation); bilinear is not offered: candle 0.11 has
/// no backward pass for `upsample_bilinear2d`, and nearest ×2 followed by a
/// 3×3 convolution already has no uneven overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Upsample {
    /// `"transpose"`: ConvTranspose2d(f, 4×4, stride 2, padding 1), the
    /// paper's (default).
    #[default]
    Transpose,
    /// `"resize_conv"`: nearest-neighbour ×2 upsampling, then Conv2d(f, 3×3,
    /// stride 1, padding 1) with the same number of output filters.
    ResizeConv,
}

impl Upsample {
    /// All variants, in the order of [`Upsample::NAMES`].
    pub const ALL: [Upsample; 2] = [Upsample::Transpose, Upsample::ResizeConv];
    /// The names [`FromStr`](std::str::FromStr) accepts.
    pub const NAMES: [&'static str; 2] = ["transpose", "resize_conv"];

    /// The option name (`"transpose"`, `"resize_conv"`).
    pub fn name(self) -> &'static str {
        match self {
            Upsample::Transpose => "transpose",
            Upsample::ResizeConv => "resize_conv",
        }
    }

    /// Kernel side of the layer's weights: 4 (transpose) or 3 (resize-conv).
    pub fn kernel(self) -> usize {
        match self {
            Upsample::Transpose => 4,
            Upsample::ResizeConv => 3,
        }
    }
}

impl std::fmt::Display for Upsample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Upsample {
    type Err = Error;

    fn from_str(s: &str) -> Result<Upsample> {
        let key = s.trim().to_ascii_lowercase().replace('-', "_");
        Upsample::ALL
            .into_iter()
            .find(|u| u.name() == key)
            .ok_or_else(|| {
                Error::arg(
                    "upsample",
                    format!("expected \"transpose\" or \"resize_conv\", got {s:?}"),
                )
            })
    }
}

/// The architecture of a [`UNet`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UNetConfig {
    /// Number of encoder blocks D (default 8, the paper's). Inputs must be
    /// divisible by 2^D.
    pub depth: usize,
    /// Filters of the first block (default 64); doubling per block up to 8×.
    pub filters: usize,
    /// Negative slope of the encoder LeakyReLU (default 0.3, the paper code).
    pub leaky: f64,
    /// Dropout rate of the first 3 decoder blocks in training (default 0.5).
    pub dropout: f64,
    /// Seed of the weight initialisation and of the dropout masks (default 0).
    pub seed: u64,
    /// BatchNorm momentum, Keras convention: the weight of the old running
    /// statistics (default 0.99). Short trainings (a few hundred steps) leave
    /// the running statistics near their initial values at 0.99; 0.9 follows
    /// the data faster.
    #[serde(default = "default_bn_momentum")]
    pub bn_momentum: f64,
    /// Upsampling of the decoder blocks and the output layer (default
    /// [`Upsample::Transpose`], the paper's). Checkpoint sidecars written
    /// before this option existed lack it and load as `Transpose`.
    #[serde(default)]
    pub upsample: Upsample,
}

fn default_bn_momentum() -> f64 {
    BN_MOMENTUM
}

impl Default for UNetConfig {
    fn default() -> Self {
        UNetConfig {
            depth: 8,
            filters: 64,
            leaky: 0.3,
            dropout: 0.5,
            seed: 0,
            bn_momentum: BN_MOMENTUM,
            upsample: Upsample::Transpose,
        }
    }
}

impl UNetConfig {
    /// Check the options; errors name the offending key.
    pub fn validate(&self) -> Result<()> {
        if !(1..=12).contains(&self.depth) {
            return Err(Error::arg(
                "depth",
                format!("must be in 1..=12, got {}", self.depth),
            ));
        }
        if !(1..=4096).contains(&self.filters) {
            return Err(Error::arg(
                "filters",
                format!("must be in 1..=4096, got {}", self.filters),
            ));
        }
        if !(self.bn_momentum >= 0.0 && self.bn_momentum < 1.0) {
            return Err(Error::arg(
                "bn_momentum",
                format!("must be in [0, 1), got {}", self.bn_momentum),
            ));
        }
        let params = self.param_count();
        if params > 1_000_000_000 {
            return Err(Error::arg(
                "filters",
                format!(
                    "depth {} with {} filters would have {params} parameters (limit 10^9)",
                    self.depth, self.filters
                ),
            ));
        }
        if !(self.leaky.is_finite() && (0.0..1.0).contains(&self.leaky)) {
            return Err(Error::arg(
                "leaky",
                format!("must be in [0, 1), got {}", self.leaky),
            ));
        }
        if !(self.dropout.is_finite() && (0.0..1.0).contains(&self.dropout)) {
            return Err(Error::arg(
                "dropout",
                format!("must be in [0, 1), got {}", self.dropout),
            ));
        }
        Ok(())
    }

    /// Filters of encoder block `i` (0-based).
    pub fn encoder_filters(&self, i: usize) -> usize {
        self.filters * (1usize << i.min(3)).min(MAX_FILTER_FACTOR)
    }

    /// Side lengths must be multiples of this (2^depth).
    pub fn size_multiple(&self) -> usize {
        1usize << self.depth
    }

    /// Number of trainable parameters, computed from the architecture alone.
    pub fn param_count(&self) -> usize {
        let d = self.depth;
        let mut n = 0;
        let mut cin = 1;
        for i in 0..d {
            let f = self.encoder_filters(i);
            n += cin * f * 16;
            if i > 0 && i + 1 < d {
                n += 2 * f;
            }
            cin = f;
        }
        let kk = self.upsample.kernel().pow(2);
        for j in 0..d.saturating_sub(1) {
            let f = self.encoder_filters(d - 2 - j);
            n += cin * f * kk + 2 * f;
            cin = 2 * f;
        }
        n + cin * kk + 1
    }
}

/// Keras-style batch normalisation over (N, H, W) per channel.
struct BatchNorm {
    name: String,
    momentum: f64,
    gamma: Var,
    beta: Var,
    running_mean: Var,
    running_var: Var,
}

impl BatchNorm {
    /// `fused`: the one-op CPU kernel of [`ops::batch_norm_train`]; otherwise
    /// candle ops (other devices, stock mode).
    fn forward(&self, x: &Tensor, train: bool, fused: bool) -> Result<Tensor> {
        let c = x.dim(1)?;
        let shape = (1, c, 1, 1);
        if train {
            let (n, _, h, w) = x.dims4()?;
            if n * h * w < 2 {
                return Err(Error::Numeric(format!(
                    "{}: BatchNorm over a single value per channel (batch 1 at 1x1) collapses \
                     the output; use a larger input or batch",
                    self.name
                )));
            }
            let (y, mean, var) = if fused {
                let (y, m, v) =
                    ops::batch_norm_train(x, self.gamma.as_tensor(), self.beta.as_tensor(), BN_EPS)?;
                let dev = x.device();
                (y, Tensor::from_vec(m, c, dev)?, Tensor::from_vec(v, c, dev)?)
            } else {
                let mean = x.mean_keepdim((0, 2, 3))?;
                let xc = x.broadcast_sub(&mean)?;
                let var = xc.sqr()?.mean_keepdim((0, 2, 3))?;
                let inv = (var.clone() + BN_EPS)?.sqrt()?.recip()?;
                let scale = inv.broadcast_mul(&self.gamma.reshape(shape)?)?;
                let y = xc
                    .broadcast_mul(&scale)?
                    .broadcast_add(&self.beta.reshape(shape)?)?;
                (y, mean.detach().flatten_all()?, var.detach().flatten_all()?)
            };
            // Running statistics: detached, Keras momentum convention.
            let k = self.momentum;
            let m = (self.running_mean.as_tensor() * k)?.add(&(mean * (1.0 - k))?)?;
            let v = (self.running_var.as_tensor() * k)?.add(&(var * (1.0 - k))?)?;
            let finite = m.sum_all()?.to_dtype(DType::F64)?.to_scalar::<f64>()?.is_finite()
                && v.sum_all()?.to_dtype(DType::F64)?.to_scalar::<f64>()?.is_finite();
            if !finite {
                return Err(Error::Numeric(format!(
                    "{}: BatchNorm running statistics became non-finite (NaN or Inf in the \
                     activations); lower the learning rate",
                    self.name
                )));
            }
            self.running_mean.set(&m)?;
            self.running_var.set(&v)?;
            Ok(y)
        } else {
            let inv = (self.running_var.as_tensor().detach() + BN_EPS)?
                .sqrt()?
                .recip()?;
            let scale = (inv * self.gamma.as_tensor().detach())?;
            let shift =
                (self.beta.as_tensor().detach() - (self.running_mean.as_tensor().detach() * &scale)?)?;
            Ok(x.broadcast_mul(&scale.reshape(shape)?)?
                .broadcast_add(&shift.reshape(shape)?)?)
        }
    }
}

struct Down {
    w: Var,
    bn: Option<BatchNorm>,
}

struct Up {
    w: Var,
    bn: BatchNorm,
    dropout: bool,
}

/// The U-Net generator (see the module doc).
pub struct UNet {
    config: UNetConfig,
    device: Device,
    varmap: VarMap,
    down: Vec<Down>,
    up: Vec<Up>,
    out_w: Var,
    out_b: Var,
    /// Names of the trainable variables, sorted.
    trainable: Vec<(String, Var)>,
    dropout_rng: Mutex<StdRng>,
    stock_ops: bool,
}

impl std::fmt::Debug for UNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UNet")
            .field("config", &self.config)
            .field("device", &self.device)
            .field("params", &self.param_count())
            .finish()
    }
}

fn param(t: &Var, train: bool) -> Tensor {
    if train {
        t.as_tensor().clone()
    } else {
        t.as_tensor().detach()
    }
}

impl UNet {
    /// Build a freshly initialised net on `device` (see the module doc).
    pub fn new(config: UNetConfig, device: &Device) -> Result<UNet> {
        config.validate()?;
        let varmap = VarMap::new();
        let mut rng = StdRng::seed_from_u64(config.seed);
        let mut trainable = Vec::new();
        let mut add = |name: String, t: Tensor, train: bool| -> Result<Var> {
            let v = Var::from_tensor(&t)?;
            // The lock cannot be poisoned: nothing else holds this fresh map.
            if let Ok(mut m) = varmap.data().lock() {
                m.insert(name.clone(), v.clone());
            }
            if train {
                trainable.push((name, v.clone()));
            }
            Ok(v)
        };
        let mut glorot = |shape: (usize, usize, usize, usize), fan_in: usize, fan_out: usize| {
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
            let n = shape.0 * shape.1 * shape.2 * shape.3;
            let v: Vec<f32> = (0..n).map(|_| rng.random_range(-limit..=limit)).collect();
            Tensor::from_vec(v, shape, device)
        };
        let bn = |name: &str,
                  c: usize,
                  add: &mut dyn FnMut(String, Tensor, bool) -> Result<Var>|
         -> Result<BatchNorm> {
            Ok(BatchNorm {
                name: name.to_string(),
                momentum: config.bn_momentum,
                gamma: add(
                    format!("{name}.weight"),
                    Tensor::ones(c, DType::F32, device)?,
                    true,
                )?,
                beta: add(
                    format!("{name}.bias"),
                    Tensor::zeros(c, DType::F32, device)?,
                    true,
                )?,
                running_mean: add(
                    format!("{name}.running_mean"),
                    Tensor::zeros(c, DType::F32, device)?,
                    false,
                )?,
                running_var: add(
                    format!("{name}.running_var"),
                    Tensor::ones(c, DType::F32, device)?,
                    false,
                )?,
            })
        };
        let d = config.depth;
        let mut down = Vec::with_capacity(d);
        let mut cin = 1;
        for i in 0..d {
            let f = config.encoder_filters(i);
            let w = add(
                format!("down{i}.conv.weight"),
                glorot((f, cin, 4, 4), cin * 16, f * 16)?,
                true,
            )?;
            let norm = if i > 0 && i + 1 < d {
                Some(bn(&format!("down{i}.bn"), f, &mut add)?)
            } else {
                None
            };
            down.push(Down { w, bn: norm });
            cin = f;
        }
        let mut up = Vec::with_capacity(d.saturating_sub(1));
        // Decoder weights: (Cin, Cout, 4, 4) for the transposed convolution
        // (candle/PyTorch layout), (Cout, Cin, 3, 3) for resize-conv.
        let k = config.upsample.kernel();
        let up_shape = |cin: usize, cout: usize| match config.upsample {
            Upsample::Transpose => (cin, cout, k, k),
            Upsample::ResizeConv => (cout, cin, k, k),
        };
        for j in 0..d.saturating_sub(1) {
            let f = config.encoder_filters(d - 2 - j);
            let w = add(
                format!("up{j}.conv.weight"),
                glorot(up_shape(cin, f), cin * k * k, f * k * k)?,
                true,
            )?;
            let norm = bn(&format!("up{j}.bn"), f, &mut add)?;
            up.push(Up {
                w,
                bn: norm,
                dropout: j < DROPOUT_BLOCKS && config.dropout > 0.0,
            });
            cin = 2 * f;
        }
        let out_w = add(
            "out.conv.weight".into(),
            glorot(up_shape(cin, 1), cin * k * k, k * k)?,
            true,
        )?;
        let out_b = add(
            "out.conv.bias".into(),
            Tensor::zeros(1, DType::F32, device)?,
            true,
        )?;
        trainable.sort_by(|a, b| a.0.cmp(&b.0));
        let dropout_rng = Mutex::new(StdRng::seed_from_u64(config.seed ^ 0x5eed_d409));
        Ok(UNet {
            config,
            device: device.clone(),
            varmap,
            down,
            up,
            out_w,
            out_b,
            trainable,
            dropout_rng,
            stock_ops: false,
        })
    }

    /// The architecture.
    pub fn config(&self) -> &UNetConfig {
        &self.config
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// All variables by name (weights and BatchNorm running statistics).
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// The trainable variables, sorted by name (running statistics excluded).
    pub fn trainable_vars(&self) -> &[(String, Var)] {
        &self.trainable
    }

    /// Number of trainable parameters.
    pub fn param_count(&self) -> usize {
        self.trainable.iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Use candle's own convolution kernels instead of the im2col ones of
    /// [`crate::nn::ops`] (for benchmarks and cross-checks; same results).
    pub fn set_stock_ops(&mut self, stock: bool) {
        self.stock_ops = stock;
    }

    fn conv(&self, x: &Tensor, w: &Var, train: bool) -> candle_core::Result<Tensor> {
        if self.stock_ops {
            x.conv2d(&param(w, train), 1, 2, 1, 1)
        } else {
            ops::conv2d(x, &param(w, train), 2, 1)
        }
    }

    fn conv_t(&self, x: &Tensor, w: &Var, train: bool) -> candle_core::Result<Tensor> {
        if self.stock_ops {
            x.conv_transpose2d(&param(w, train), 1, 0, 2, 1)
        } else {
            ops::conv_transpose2d(x, &param(w, train), 2, 1)
        }
    }

    /// ×2 upsampling layer of the decoder and the output (see [`Upsample`]).
    fn up(&self, x: &Tensor, w: &Var, train: bool) -> candle_core::Result<Tensor> {
        match self.config.upsample {
            Upsample::Transpose => self.conv_t(x, w, train),
            Upsample::ResizeConv if self.stock_ops => {
                // The literal definition: nearest ×2, then a 3×3 convolution.
                let (_, _, h, wd) = x.dims4()?;
                x.upsample_nearest2d(2 * h, 2 * wd)?
                    .conv2d(&param(w, train), 1, 1, 1, 1)
            }
            Upsample::ResizeConv => ops::resize_conv2d(x, &param(w, train)),
        }
    }

    fn leaky(&self, x: &Tensor, slope: f64) -> candle_core::Result<Tensor> {
        if self.stock_ops {
            leaky_relu(x, slope)
        } else {
            ops::leaky_relu(x, slope)
        }
    }

    /// Re-seed the dropout masks (training does this from its own seed).
    pub fn reseed_dropout(&self, seed: u64) {
        if let Ok(mut r) = self.dropout_rng.lock() {
            *r = StdRng::seed_from_u64(seed);
        }
    }

    /// Check that `x` is `(N, 1, H, W)` with H and W positive multiples of 2^depth.
    pub fn check_input(&self, dims: &[usize]) -> Result<()> {
        let m = self.config.size_multiple();
        match dims {
            [n, 1, h, w] if *n > 0 => {
                if *h == 0 || *w == 0 || !h.is_multiple_of(m) || !w.is_multiple_of(m) {
                    Err(Error::arg(
                        "input",
                        format!(
                            "image size {h}x{w} must be a positive multiple of 2^depth = {m} \
                             (depth {})",
                            self.config.depth
                        ),
                    ))
                } else {
                    Ok(())
                }
            }
            _ => Err(Error::arg(
                "input",
                format!("expected a (batch, 1, height, width) tensor, got shape {dims:?}"),
            )),
        }
    }

    fn dropout_mask(&self, dims: &[usize]) -> Result<Tensor> {
        let p = self.config.dropout;
        let keep = (1.0 / (1.0 - p)) as f32;
        let n: usize = dims.iter().product();
        let mut rng = self
            .dropout_rng
            .lock()
            .map_err(|_| Error::Nn("dropout generator poisoned".into()))?;
        let v: Vec<f32> = (0..n)
            .map(|_| if rng.random::<f64>() < p { 0.0 } else { keep })
            .collect();
        Ok(Tensor::from_vec(v, dims, &self.device)?)
    }

    /// Run the net on `x` `(N, 1, H, W)` (f32, normalised to [−1, 1]).
    /// `train`: batch statistics + running-stat update + dropout and a graph for
    /// backpropagation; otherwise inference mode (running statistics, no
    /// dropout, no graph). Output `(N, 1, H, W)` in [−1, 1].
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.check_input(x.dims())?;
        let x = x.to_dtype(DType::F32)?;
        let slope = self.config.leaky;
        let fused = x.device().is_cpu() && !self.stock_ops;
        let mut skips = Vec::with_capacity(self.down.len());
        let mut h = x;
        for blk in &self.down {
            h = self.conv(&h, &blk.w, train)?;
            if let Some(bn) = &blk.bn {
                h = bn.forward(&h, train, fused)?;
            }
            h = self.leaky(&h, slope)?;
            skips.push(h.clone());
        }
        skips.pop(); // the bottleneck is not concatenated
        for blk in &self.up {
            h = self.up(&h, &blk.w, train)?;
            h = blk.bn.forward(&h, train, fused)?;
            if train && blk.dropout {
                let mask = self.dropout_mask(h.dims())?;
                h = (h * mask)?;
            }
            h = self.leaky(&h, 0.0)?;
            // Invariant: one skip per decoder block (depth − 1 of each).
            let skip = skips
                .pop()
                .ok_or_else(|| Error::Nn("internal: missing skip connection".into()))?;
            h = Tensor::cat(&[&h, &skip], 1)?;
        }
        h = self.up(&h, &self.out_w, train)?;
        h = h.broadcast_add(&param(&self.out_b, train).reshape((1, 1, 1, 1))?)?;
        Ok(h.tanh()?)
    }
}

/// LeakyReLU as max(x, slope·x) (valid for 0 ≤ slope < 1).
fn leaky_relu(x: &Tensor, slope: f64) -> candle_core::Result<Tensor> {
    if slope == 0.0 {
        x.relu()
    } else {
        x.maximum(&(x * slope)?)
    }
}

impl std::fmt::Display for UNet {
    /// One line: depth, filters, parameters, device.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.config();
        write!(
            f,
            "UNet depth {}, {} base filters, {} upsampling, {} parameters, on {}",
            c.depth,
            c.filters,
            c.upsample,
            self.param_count(),
            if self.device().is_cpu() { "cpu" } else { "cuda" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> UNetConfig {
        UNetConfig {
            depth: 4,
            filters: 8,
            ..Default::default()
        }
    }

    #[test]
    fn param_count_matches_paper_and_architecture() {
        // Paper: 54.4 M parameters for D = 8, base 64.
        let big = UNetConfig::default();
        assert_eq!(big.param_count(), 54_407_809);
        let net = UNet::new(small(), &Device::Cpu).unwrap();
        assert_eq!(net.param_count(), small().param_count());
        // Hand count for depth 4, base 8: encoder 1·8·16 + 8·16·16 + 16·32·16
        // + 32·64·16, BN 2·(16+32); decoder 64·32·16+64, 64·16·16+32,
        // 32·8·16+16; output 16·16+1.
        let hand = 128 + 2048 + 8192 + 32768 + 96 + 32768 + 64 + 16384 + 32 + 4096 + 16 + 257;
        assert_eq!(net.param_count(), hand);
    }

    #[test]
    fn forward_shapes_and_errors() {
        let net = UNet::new(small(), &Device::Cpu).unwrap();
        let x = Tensor::zeros((2, 1, 32, 48), DType::F32, &Device::Cpu).unwrap();
        let y = net.forward(&x, false).unwrap();
        assert_eq!(y.dims(), &[2, 1, 32, 48]);
        let y = net.forward(&x, true).unwrap();
        assert_eq!(y.dims(), &[2, 1, 32, 48]);
        let bad = Tensor::zeros((1, 1, 40, 32), DType::F32, &Device::Cpu).unwrap();
        let e = net.forward(&bad, false).unwrap_err().to_string();
        assert!(e.contains("multiple of 2^depth = 16"), "{e}");
        let bad = Tensor::zeros((1, 2, 32, 32), DType::F32, &Device::Cpu).unwrap();
        assert!(net.forward(&bad, false).is_err());
        for c in [
            UNetConfig { depth: 0, ..small() },
            UNetConfig {
                filters: 0,
                ..small()
            },
            UNetConfig {
                leaky: 1.5,
                ..small()
            },
            UNetConfig {
                dropout: 1.0,
                ..small()
            },
            UNetConfig {
                depth: 12,
                filters: 4096,
                ..small()
            },
        ] {
            assert!(UNet::new(c, &Device::Cpu).is_err());
        }
    }

    #[test]
    fn seeded_init_and_batchnorm_modes() {
        let a = UNet::new(small(), &Device::Cpu).unwrap();
        let b = UNet::new(small(), &Device::Cpu).unwrap();
        let c = UNet::new(UNetConfig { seed: 1, ..small() }, &Device::Cpu).unwrap();
        let w = |n: &UNet| n.down[1].w.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(w(&a), w(&b));
        assert_ne!(w(&a), w(&c));
        // Glorot limit for down1: sqrt(6/(8·16 + 16·16)).
        let lim = (6.0f32 / (128.0 + 256.0)).sqrt();
        assert!(w(&a).iter().all(|v| v.abs() <= lim));
        assert!(w(&a).iter().any(|v| v.abs() > 0.9 * lim));
        // Inference is deterministic; a training pass updates the running stats
        // by the Keras momentum: new = 0.99·1 + 0.01·batch variance.
        let x = Tensor::randn(0f32, 1.0, (1, 1, 32, 32), &Device::Cpu).unwrap();
        let y1 = a
            .forward(&x, false)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let y2 = a
            .forward(&x, false)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(y1, y2);
        let conv0 = ops::conv2d(&x, a.down[0].w.as_tensor(), 2, 1).unwrap();
        let h0 = leaky_relu(&conv0, 0.3).unwrap();
        let h1 = ops::conv2d(&h0, a.down[1].w.as_tensor(), 2, 1).unwrap();
        let h1v: Vec<f32> = h1
            .narrow(1, 0, 1)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let mean = h1v.iter().map(|&v| v as f64).sum::<f64>() / h1v.len() as f64;
        let var = h1v.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / h1v.len() as f64;
        a.forward(&x, true).unwrap();
        let rm = a.down[1]
            .bn
            .as_ref()
            .unwrap()
            .running_mean
            .to_vec1::<f32>()
            .unwrap()[0] as f64;
        let rv = a.down[1]
            .bn
            .as_ref()
            .unwrap()
            .running_var
            .to_vec1::<f32>()
            .unwrap()[0] as f64;
        assert!((rm - 0.01 * mean).abs() < 1e-6, "{rm} {mean}");
        assert!((rv - (0.99 + 0.01 * var)).abs() < 1e-6, "{rv} {var}");
        let y3 = a
            .forward(&x, false)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_ne!(y1, y3);
    }

    #[test]
    fn custom_ops_match_stock_candle_in_the_whole_net() {
        // Forward (training mode, same dropout masks) and every parameter
        // gradient of the MSE agree between our kernels and candle's (for
        // resize-conv: candle's upsample_nearest2d + conv2d), for both
        // upsampling layers.
        for up in Upsample::ALL {
            let mut a = UNet::new(
                UNetConfig {
                    upsample: up,
                    ..small()
                },
                &Device::Cpu,
            )
            .unwrap();
            let x = Tensor::randn(0f32, 1.0, (2, 1, 32, 32), &Device::Cpu).unwrap();
            let y = Tensor::randn(0f32, 0.5, (2, 1, 32, 32), &Device::Cpu).unwrap();
            let run = |net: &UNet| {
                net.reseed_dropout(7);
                let p = net.forward(&x, true).unwrap();
                let l = (&p - &y).unwrap().sqr().unwrap().mean_all().unwrap();
                (p, l.backward().unwrap())
            };
            let (p1, g1) = run(&a);
            a.set_stock_ops(true);
            let (p2, g2) = run(&a);
            assert!(super::super::tests_util::max_abs_diff(&p1, &p2) < 1e-5, "{up}");
            for (name, v) in a.trainable_vars() {
                let (ga, gb) = (g1.get(v.as_tensor()).unwrap(), g2.get(v.as_tensor()).unwrap());
                let scale = gb.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap() as f64;
                let d = super::super::tests_util::max_abs_diff(ga, gb);
                assert!(d <= 1e-4 * scale.max(1e-3), "{up} {name}: {d} (scale {scale})");
            }
        }
    }

    #[test]
    fn upsample_option_names_and_parameters() {
        use std::str::FromStr;
        assert_eq!(Upsample::default(), Upsample::Transpose);
        assert_eq!(UNetConfig::default().upsample, Upsample::Transpose);
        for (u, n) in Upsample::ALL.iter().zip(Upsample::NAMES) {
            assert_eq!(Upsample::from_str(n).unwrap(), *u);
            assert_eq!(u.to_string(), n);
            assert_eq!(serde_json::to_string(u).unwrap(), format!("\"{n}\""));
        }
        assert_eq!(Upsample::from_str(" Resize-Conv ").unwrap(), Upsample::ResizeConv);
        let e = Upsample::from_str("bilinear").unwrap_err().to_string();
        assert!(
            e.contains("upsample") && e.contains("resize_conv") && e.contains("bilinear"),
            "{e}"
        );
        // A config serialised before the option existed reads as Transpose.
        let mut v = serde_json::to_value(small()).unwrap();
        v.as_object_mut().unwrap().remove("upsample");
        let c: UNetConfig = serde_json::from_value(v).unwrap();
        assert_eq!(c, small());
        // Parameters: 3×3 instead of 4×4 kernels in the decoder and output.
        let rc = UNetConfig {
            upsample: Upsample::ResizeConv,
            ..small()
        };
        let net = UNet::new(rc.clone(), &Device::Cpu).unwrap();
        assert_eq!(net.param_count(), rc.param_count());
        // Encoder + BN as in param_count_matches_paper_and_architecture;
        // decoder 64·32·9+64, 64·16·9+32, 32·8·9+16; output 16·9+1.
        let hand = 128 + 2048 + 8192 + 32768 + 96 + 18432 + 64 + 9216 + 32 + 2304 + 16 + 145;
        assert_eq!(net.param_count(), hand);
        let w = |name: &str| {
            net.trainable_vars()
                .iter()
                .find(|(n, _)| n == name)
                .unwrap()
                .1
                .dims()
                .to_vec()
        };
        assert_eq!(w("up0.conv.weight"), vec![32, 64, 3, 3]);
        assert_eq!(w("out.conv.weight"), vec![1, 16, 3, 3]);
    }

    /// Fraction of the non-DC power of `img` (h × w) in the three Nyquist
    /// bins (π, 0), (0, π), (π, π): Y(π,0) = Σ (−1)^i y, etc.; the AC power
    /// by Parseval, h·w·Σy² − (Σy)².
    fn nyquist_fraction(img: &[f32], h: usize, w: usize) -> f64 {
        let (mut s, mut s2, mut pi0, mut p0i, mut pipi) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in 0..h {
            for j in 0..w {
                let v = img[i * w + j] as f64;
                let (si, sj) = (
                    if i % 2 == 0 { 1.0 } else { -1.0 },
                    if j % 2 == 0 { 1.0 } else { -1.0 },
                );
                s += v;
                s2 += v * v;
                pi0 += si * v;
                p0i += sj * v;
                pipi += si * sj * v;
            }
        }
        let ac = (h * w) as f64 * s2 - s * s;
        (pi0 * pi0 + p0i * p0i + pipi * pipi) / ac.max(1e-30)
    }

    #[test]
    fn nyquist_fraction_hand_values() {
        // A pure checkerboard is all Nyquist; a ramp along one axis has a small share.
        let cb: Vec<f32> = (0..64)
            .map(|k| if (k / 8 + k % 8) % 2 == 0 { 1.0 } else { 0.0 })
            .collect();
        assert!((nyquist_fraction(&cb, 8, 8) - 1.0).abs() < 1e-12);
        let ramp: Vec<f32> = (0..64).map(|k| (k % 8) as f32).collect();
        // Y(0, π) of 0..7 along j: 8 rows · (−4) ; AC power 64·Σ − (Σ)².
        let s: f64 = 8.0 * 28.0;
        let s2: f64 = 8.0 * 140.0;
        let want = (8.0 * 4.0f64).powi(2) / (64.0 * s2 - s * s);
        assert!((nyquist_fraction(&ramp, 8, 8) - want).abs() < 1e-12);
    }

    #[test]
    fn resize_conv_has_no_checkerboard_at_init() {
        // A constant input through freshly initialised nets (inference mode):
        // the transposed convolutions put a period-2 pattern on the output
        // (uneven kernel overlap), resize-conv does not. Measured as the share
        // of the output's non-DC power in the Nyquist bins, median over seeds.
        let x = Tensor::full(0.5f32, (1, 1, 64, 64), &Device::Cpu).unwrap();
        let frac = |up: Upsample, seed: u64| {
            let net = UNet::new(
                UNetConfig {
                    upsample: up,
                    seed,
                    ..small()
                },
                &Device::Cpu,
            )
            .unwrap();
            let y = net
                .forward(&x, false)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            nyquist_fraction(&y, 64, 64)
        };
        let median = |up: Upsample| {
            let mut v: Vec<f64> = (0..5).map(|s| frac(up, s)).collect();
            v.sort_by(f64::total_cmp);
            v[2]
        };
        let (t, r) = (median(Upsample::Transpose), median(Upsample::ResizeConv));
        eprintln!("Nyquist share of the output power at init: transpose {t:.4}, resize_conv {r:.4}");
        assert!(t > 0.05, "transpose {t}");
        assert!(r < 0.1 * t, "resize_conv {r} vs transpose {t}");
    }

    #[test]
    fn resize_conv_layer_maps_constants_to_constants() {
        // One layer on a constant image: resize-conv gives a constant interior
        // (exactly: the upsampled image is constant there), the transposed
        // convolution alternates between its kernel's four phase sums.
        let x = Tensor::full(1f64, (1, 2, 6, 6), &Device::Cpu).unwrap();
        let mut r = rand::rngs::StdRng::seed_from_u64(3);
        let mut wt = |shape: &[usize]| {
            let n: usize = shape.iter().product();
            let v: Vec<f64> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
            Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
        };
        let interior = |y: &Tensor| -> Vec<f64> {
            let y = y.narrow(2, 1, 10).unwrap().narrow(3, 1, 10).unwrap();
            y.flatten_all().unwrap().to_vec1::<f64>().unwrap()
        };
        let rc = interior(&ops::resize_conv2d(&x, &wt(&[1, 2, 3, 3])).unwrap());
        let spread = |v: &[f64]| {
            v.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                - v.iter().cloned().fold(f64::INFINITY, f64::min)
        };
        assert!(spread(&rc) < 1e-12, "{}", spread(&rc));
        let tc = interior(&ops::conv_transpose2d(&x, &wt(&[2, 1, 4, 4]), 2, 1).unwrap());
        assert!(spread(&tc) > 0.1, "{}", spread(&tc));
    }

    #[test]
    fn deep_net_at_bottleneck_1x1_batch_1() {
        // depth 5 on 32²: the bottleneck is 1×1; training at batch 1 must work
        // and keep running statistics finite.
        let net = UNet::new(
            UNetConfig {
                depth: 5,
                filters: 4,
                ..small()
            },
            &Device::Cpu,
        )
        .unwrap();
        let x = Tensor::randn(0f32, 1.0, (1, 1, 32, 32), &Device::Cpu).unwrap();
        let y = net.forward(&x, true).unwrap();
        let v = y.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(v.iter().all(|v| v.is_finite()));
        // The output still depends on the input (not collapsed).
        let y2 = net.forward(&(x * 2.0).unwrap(), false).unwrap();
        let y1 = net
            .forward(
                &Tensor::zeros((1, 1, 32, 32), DType::F32, &Device::Cpu).unwrap(),
                false,
            )
            .unwrap();
        assert!(super::super::tests_util::max_abs_diff(&y1, &y2) > 1e-4);
    }
}
