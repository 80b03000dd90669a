"""Expected trial ids for the pinned-id test in src/plan/trial_id.rs, computed without the Rust code.

Run from anywhere (Python 3 standard library only):
    python3 tests/trial_id_reference.py

A trial id is the first 10 hex digits of FNV-1a-64 over the canonical JSON of a trial: one compact JSON
object {"model", "data", "train", "resources", "profile", "repeat"}, each section's fields in declaration
order with their serde names (contract/src/trial.rs), `None` as null, enums in snake_case, floats as Rust's
shortest round-trip form (2.0, 0.0002, 1e-7). The JSON below is written out by hand from the defaults
documented on each field, so a change in what the code hashes makes the Rust test fail.
"""

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv1a_64(data: bytes) -> int:
    h = FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) % (1 << 64)
    return h


def trial_id(canonical_json: str) -> str:
    return "%016x" % fnv1a_64(canonical_json.encode("utf-8"))


def canonical(window=8, total_samples="null", queue="null", repeat=0) -> str:
    return (
        '{"model":{"lr_frames":3,"window":%d,"heads":3,"channels":192,"depths":[2,2,18,2],'
        '"mlp_ratio":2.0,"drop_path":0.2,"recon_channels":64},'
        '"data":{"source":"synthetic","fraction":1.0,"crop_lr":24,"lr_intervals":[1,2,3],"hr_gap_max":20,'
        '"b0_exp":[1.0,7.0],"hr_separation":20,"val_videos":4,"val_frames":0,"seed":0,'
        '"synthetic":{"videos":24,"frames":60,"height":128,"width":128,"texture":null},'
        '"hr_root":null,"lr_root":null},'
        '"train":{"iterations":30000,"total_samples":%s,"warmup":500,"batch_per_gpu":1,"lr":0.0002,'
        '"lr_min":1e-7,"betas":[0.9,0.99],"ema":0.999,"checkpoint_every":5000,"val_every":5000,"seed":0},'
        '"resources":{"gpus":4,"walltime":"01:00:00","queue":%s,"threads_per_rank":0},'
        '"profile":{"enabled":true,"warmup":5,"iterations":10,"preset":"paper"},'
        '"repeat":%d}'
    ) % (window, total_samples, queue, repeat)


# Published FNV-1a-64 test vectors (Landon Curt Noll's FNV test suite).
assert fnv1a_64(b"") == 0xCBF29CE484222325
assert fnv1a_64(b"a") == 0xAF63DC4C8601EC8C
assert fnv1a_64(b"foobar") == 0x85944171F73967E8

print("default trial:", trial_id(canonical())[:10])
print("window 4, total_samples 1206240, queue prod, repeat 2:",
      trial_id(canonical(window=4, total_samples="1206240", queue='"prod"', repeat=2))[:10])
