// validate: parse the line, trim every top-level string, check the
// required fields. Output 1: valid event; output 2: dead letter.
const raw = msg.payload;
let ev;
try {
    ev = JSON.parse(raw);
} catch (e) {
    msg.payload = "dlq\t" + raw + "\tmalformed event: " + e.message + "\n";
    return [null, msg];
}
if (ev === null || typeof ev !== "object" || Array.isArray(ev)) {
    msg.payload = "dlq\t" + raw + "\texpected a JSON object\n";
    return [null, msg];
}
for (const k in ev) {
    if (typeof ev[k] === "string") {
        ev[k] = ev[k].trim();
    }
}
const required = ["tx_id", "amount", "currency", "merchant", "country", "card_country", "hour"];
const missing = required.filter((k) => ev[k] === undefined || ev[k] === null);
if (missing.length > 0) {
    msg.payload = "dlq\t" + raw + "\tmissing required fields " + missing.join(", ") + "\n";
    return [null, msg];
}
msg.raw = raw;
msg.payload = ev;
return [msg, null];
