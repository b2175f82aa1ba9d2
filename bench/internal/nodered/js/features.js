// features: the feature event with the rule-based risk score (the same sum,
// in the same order, as the workflow's score expression).
const ev = msg.payload;
const out = {};
for (const k of ["tx_id", "amount", "currency", "merchant", "mcc"]) {
    if (ev[k] !== undefined) {
        out[k] = ev[k];
    }
}
out.amount_eur = ev.currency === "USD" ? ev.amount * 0.92 : (ev.currency === "GBP" ? ev.amount * 1.17 : ev.amount);
out.night = ev.hour >= 0 && ev.hour < 6;
out.large = ev.amount > 2500;
out.cross_border = ev.country !== ev.card_country;
out.score = (ev.amount > 2500 ? 0.45 : ev.amount / 10000) + (ev.country !== ev.card_country ? 0.3 : 0) +
    (ev.hour < 6 ? 0.2 : 0) + ((ev.mcc === "7995" || ev.mcc === "4829") ? 0.25 : 0);
if (!Number.isFinite(out.score) || !Number.isFinite(out.amount_eur)) {
    msg.payload = "dlq\t" + msg.raw + "\tfeature is not a finite number\n";
    return [null, msg];
}
msg.payload = out;
return [msg, null];
