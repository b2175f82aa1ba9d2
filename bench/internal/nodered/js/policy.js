// policy: every rule is checked; failures are dead-lettered with the
// original event and every failed rule.
const ev = msg.payload;
const failed = [];
if (!["EUR", "USD", "GBP"].includes(ev.currency)) {
    failed.push("currency (unsupported currency)");
}
if (!(ev.amount > 0 && ev.amount_eur <= 20000)) {
    failed.push("amount (amount out of range)");
}
if (!(ev.score >= 0 && ev.score <= 1.5)) {
    failed.push("score_range (score out of range)");
}
if (failed.length > 0) {
    msg.payload = "dlq\t" + msg.raw + "\trules failed: " + failed.join("; ") + "\n";
    return [null, msg];
}
return [msg, null];
