//! Compute devices for the U-Net (METHODS.md §7; `docs/methods.md §7`):
//! parsing `"cpu"`, `"cuda"` / `"gpu"` (GPU 0) and `"cuda:N"`, and opening
//! them with errors a user can act on.
//!
//! Opening a CUDA device can fail in a build with `--features cuda` on a
//! machine without a usable driver or GPU (no GPU, the build's libcuda stub
//! on the library path, a driver older than the CUDA 13.0 kernels, a GPU
//! number that does not exist). candle reports these as a driver error with a
//! Rust backtrace attached when `RUST_BACKTRACE` is set; [`open`] turns every
//! such failure into one line naming the device and the CUDA error code.

use crate::error::{Error, Result};
use candle_core::Device;
use std::fmt;
use std::str::FromStr;

/// A device name, parsed: `"cpu"` (the default), `"cuda"` / `"gpu"`
/// (= `"cuda:0"`) or `"cuda:N"` (GPU number N). Case and surrounding spaces
/// are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceSpec {
    /// The CPU (multi-threaded kernels of [`crate::nn::ops`]).
    #[default]
    Cpu,
    /// CUDA GPU number N (needs a build with `--features cuda`).
    Cuda(usize),
}

impl FromStr for DeviceSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<DeviceSpec> {
        let name = s.trim().to_ascii_lowercase();
        match name.as_str() {
            "cpu" => Ok(DeviceSpec::Cpu),
            "cuda" | "gpu" => Ok(DeviceSpec::Cuda(0)),
            n => match n.strip_prefix("cuda:").map(|i| i.parse::<usize>()) {
                Some(Ok(i)) => Ok(DeviceSpec::Cuda(i)),
                _ => Err(Error::arg(
                    "device",
                    format!("expected \"cpu\", \"cuda\", \"gpu\" or \"cuda:N\" (N = 0, 1, ...), got {s:?}"),
                )),
            },
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Cpu => write!(f, "cpu"),
            DeviceSpec::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

/// Whether this binary was built with `--features cuda`.
pub fn cuda_built() -> bool {
    cfg!(feature = "cuda")
}

/// Open `spec`. A CUDA device in a build without CUDA, or one the driver
/// cannot open, is an [`Error::Argument`] on `device` with a one-line
/// message (no backtrace): the CUDA error code and what to do.
pub fn open(spec: DeviceSpec) -> Result<Device> {
    match spec {
        DeviceSpec::Cpu => Ok(Device::Cpu),
        DeviceSpec::Cuda(i) => open_cuda(i),
    }
}

#[cfg(feature = "cuda")]
fn open_cuda(i: usize) -> Result<Device> {
    Device::new_cuda(i).map_err(|e| cuda_error(i, &plain_message(&e)))
}

#[cfg(not(feature = "cuda"))]
fn open_cuda(_i: usize) -> Result<Device> {
    Err(Error::arg(
        "device",
        "this locus was built without CUDA support; rebuild with `cargo build --release --features cuda` \
         (see docs/gpu.md) or use device \"cpu\"",
    ))
}

/// The one-line error for a CUDA device `i` that `detail` (candle's message,
/// without backtrace) says cannot be opened.
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
pub(crate) fn cuda_error(i: usize, detail: &str) -> Error {
    let code = detail
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| w.starts_with("CUDA_ERROR_"))
        .unwrap_or("");
    let why = match code {
        "CUDA_ERROR_STUB_LIBRARY" => {
            "the CUDA driver library (libcuda) on the library path is the build stub, not a driver"
        }
        "CUDA_ERROR_NO_DEVICE" => "the driver sees no GPU",
        "CUDA_ERROR_INVALID_DEVICE" => "there is no GPU with this number",
        "CUDA_ERROR_INSUFFICIENT_DRIVER" | "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE" => {
            "the driver is older than the CUDA 13.0 this locus was built for (driver 580 or newer needed)"
        }
        "CUDA_ERROR_NOT_INITIALIZED"
        | "CUDA_ERROR_OPERATING_SYSTEM"
        | "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH" => "the CUDA driver could not be initialised",
        "CUDA_ERROR_OUT_OF_MEMORY" => "the GPU is out of memory",
        _ => "the CUDA driver refused it",
    };
    let code = if code.is_empty() {
        first_line(detail).to_string()
    } else {
        code.to_string()
    };
    Error::arg(
        "device",
        format!("no usable CUDA driver or device for \"cuda:{i}\": {why} ({code}); use device \"cpu\""),
    )
}

fn first_line(s: &str) -> &str {
    s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
}

/// candle's error message without the Rust backtrace candle attaches to
/// backend errors when `RUST_BACKTRACE` is set, on one line (a context
/// becomes a `context: message` prefix).
pub fn plain_message(e: &candle_core::Error) -> String {
    use candle_core::Error as E;
    let s = match e {
        E::WithBacktrace { inner, .. } => return plain_message(inner),
        E::Context { inner, context } => format!("{context}: {}", plain_message(inner)),
        E::WithPath { inner, path } => format!("{}: {}", path.display(), plain_message(inner)),
        other => other.to_string(),
    };
    // A backtrace nested in a variant we do not unwrap starts on a line of its
    // own; keep the message lines before it.
    s.lines()
        .take_while(|l| !l.trim_start().starts_with("0: ") && !l.contains("stack backtrace"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Parse and open a device name (see [`DeviceSpec`]); what the script
/// bindings call for the `device` option.
pub fn device(name: &str) -> Result<Device> {
    open(name.parse()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        assert_eq!("cpu".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cpu);
        assert_eq!(" CPU ".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cpu);
        assert_eq!("cuda".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cuda(0));
        assert_eq!("gpu".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cuda(0));
        assert_eq!("cuda:3".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cuda(3));
        assert_eq!(DeviceSpec::default(), DeviceSpec::Cpu);
        assert_eq!(DeviceSpec::Cuda(2).to_string(), "cuda:2");
        for bad in ["tpu", "cuda:", "cuda:-1", "cuda:x", "", "cuda0"] {
            let e = bad.parse::<DeviceSpec>().unwrap_err().to_string();
            assert!(
                e.starts_with("device: ") && e.contains("\"cuda:N\""),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn cpu_opens_and_cuda_fails_cleanly_without_a_gpu() {
        assert!(open(DeviceSpec::Cpu).unwrap().is_cpu());
        // Without the feature: the rebuild hint. With it but without a GPU
        // (CI: the stub libcuda): one line naming the CUDA error. With a GPU
        // the device opens.
        match open(DeviceSpec::Cuda(0)) {
            Ok(d) => assert!(cuda_built() && d.is_cuda()),
            Err(e) => {
                let e = e.to_string();
                assert!(!e.contains('\n') && !e.contains("backtrace"), "{e}");
                if cuda_built() {
                    assert!(e.contains("no usable CUDA driver or device"), "{e}");
                } else {
                    assert!(e.contains("--features cuda"), "{e}");
                }
            }
        }
    }

    #[test]
    fn cuda_errors_are_one_line_with_the_code() {
        let detail = "DriverError(CUDA_ERROR_STUB_LIBRARY, \"CUDA driver is a stub library\")\n   0: std::backtrace\n   1: candle";
        let e = cuda_error(0, detail).to_string();
        assert_eq!(
            e,
            "device: no usable CUDA driver or device for \"cuda:0\": the CUDA driver library (libcuda) on \
             the library path is the build stub, not a driver (CUDA_ERROR_STUB_LIBRARY); use device \"cpu\""
        );
        let e = cuda_error(
            1,
            "DriverError(CUDA_ERROR_INVALID_DEVICE, \"invalid device ordinal\")",
        )
        .to_string();
        assert!(
            e.contains("\"cuda:1\"") && e.contains("no GPU with this number"),
            "{e}"
        );
        let e = cuda_error(0, "something else\nmore").to_string();
        assert!(
            e.ends_with("refused it (something else); use device \"cpu\""),
            "{e}"
        );
    }

    #[test]
    fn plain_message_drops_backtraces() {
        let inner = candle_core::Error::Msg("out of memory".into());
        let bt = candle_core::Error::WithBacktrace {
            inner: Box::new(inner),
            backtrace: Box::new(std::backtrace::Backtrace::force_capture()),
        };
        assert!(bt.to_string().lines().count() > 1);
        assert_eq!(plain_message(&bt), "out of memory");
        let ctx = bt.context("loading weights");
        assert_eq!(plain_message(&ctx), "loading weights: out of memory");
    }
}
