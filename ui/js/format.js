// Number formatting for display only, in the user's locale. Money arrives as an exact
// decimal string and is handed to Intl as a string, so no float ever rounds a sum.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const usd = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usdSmall = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 });
const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

export function count(n) {
  return integer.format(n);
}

// `decimal` is a string such as "0.004194"; below a cent (but not zero), show up to 4
// places so a small spend does not read as $0.00.
export function money(decimal) {
  const s = String(decimal);
  const small = /^-?0\.00/.test(s) && !/^-?0\.0*$/.test(s);
  return (small ? usdSmall : usd).format(s);
}

// "2026-11-27" (a calendar date, not an instant) in the user's date style.
export function day(iso) {
  return dateFmt.format(new Date(`${iso}T00:00:00Z`));
}
