// route: the first matching rule picks the target; the line starts with
// the target's name, as a NATS message carries its subject.
const ev = msg.payload;
let i = 2;
let target = "cleared";
if (ev.score >= 0.9) {
    i = 0;
    target = "block";
} else if (ev.score >= 0.6 || (ev.large && ev.night)) {
    i = 1;
    target = "review";
}
msg.payload = target + "\t" + JSON.stringify(ev) + "\n";
const out = [null, null, null];
out[i] = msg;
return out;
