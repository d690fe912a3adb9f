//! Ctrl-C stops the AKDE and the Gaussian KDE (docs/methods.md §3–4 functions poll
//! `locus::interrupt::check`). In its own test binary: the interrupt flag is
//! process-wide and would stop the other tests running in parallel.

use locus::density::{akde, gaussian, AkdeOptions};
use locus::Error;
use ndarray::Array2;

#[test]
fn interrupt_request_stops_density_estimates() {
    let img = Array2::from_shape_fn((64, 64), |(r, c)| ((r * 7 + c * 3) % 5) as f32);
    locus::interrupt::request();
    let a = akde(img.view(), &AkdeOptions::default());
    let g = gaussian(img.view(), 2.0);
    locus::interrupt::clear();
    assert!(matches!(a, Err(Error::Interrupted)), "akde: {a:?}");
    assert!(matches!(g, Err(Error::Interrupted)), "gaussian: {g:?}");
    // and runs again once the request is cleared
    assert!(akde(img.view(), &AkdeOptions::default()).is_ok());
}
