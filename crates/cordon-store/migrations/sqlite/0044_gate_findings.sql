-- What the server found of a pass or a person at a gate, kept typed beside the cadre's note (查验所见),
-- so each page words it in its own language; the particulars (a revoked pass's reason, the area
-- another gate's pass was issued for) are kept as the data they are.
ALTER TABLE gate_passages ADD COLUMN finding TEXT;
ALTER TABLE gate_passages ADD COLUMN finding_detail TEXT NOT NULL DEFAULT '';

-- The log written before kept the finding as a bilingual sentence at the head of the note,
-- joined to what the cadre typed by ' · '. Each is split back into the finding and the note.
UPDATE gate_passages SET finding = 'not_cordon', note = ltrim(substr(note, length('不是本系统的通行证 / not a Cordon pass') + 1), ' ·')
 WHERE note = '不是本系统的通行证 / not a Cordon pass' OR note LIKE '不是本系统的通行证 / not a Cordon pass · %';
UPDATE gate_passages SET finding = 'bad_signature', note = ltrim(substr(note, length('签名与内容不符，伪造或涂改 / the signature does not match the content: forged or altered') + 1), ' ·')
 WHERE note = '签名与内容不符，伪造或涂改 / the signature does not match the content: forged or altered' OR note LIKE '签名与内容不符，伪造或涂改 / the signature does not match the content: forged or altered · %';
UPDATE gate_passages SET finding = 'no_such_pass', note = ltrim(substr(note, length('登记中无此通行证 / no such pass in the register') + 1), ' ·')
 WHERE note = '登记中无此通行证 / no such pass in the register' OR note LIKE '登记中无此通行证 / no such pass in the register · %';
UPDATE gate_passages SET finding = 'expired', note = ltrim(substr(note, length('不在有效期内 / outside its window') + 1), ' ·')
 WHERE note = '不在有效期内 / outside its window' OR note LIKE '不在有效期内 / outside its window · %';
UPDATE gate_passages SET finding = 'replayed', note = ltrim(substr(note, length('一次性通行证已使用 / a one-time pass, used already') + 1), ' ·')
 WHERE note = '一次性通行证已使用 / a one-time pass, used already' OR note LIKE '一次性通行证已使用 / a one-time pass, used already · %';
UPDATE gate_passages SET finding = 'from_elsewhere', note = ltrim(substr(note, length('住在辖区外的人请核验身份证或通行证 / someone from elsewhere: check their ID card or pass') + 1), ' ·')
 WHERE note = '住在辖区外的人请核验身份证或通行证 / someone from elsewhere: check their ID card or pass' OR note LIKE '住在辖区外的人请核验身份证或通行证 / someone from elsewhere: check their ID card or pass · %';
-- A reason and a typed note cannot be told apart after the join: the rest is kept as the detail.
UPDATE gate_passages SET finding = 'revoked', finding_detail = substr(note, length('已作废 / revoked: ') + 1), note = ''
 WHERE note LIKE '已作废 / revoked: %';
UPDATE gate_passages SET finding = 'other_gate', finding_detail = substr(note, length('非本卡口通行证 / not valid at this gate (issued for ') + 1, length(note) - length('非本卡口通行证 / not valid at this gate (issued for ') - 1), note = ''
 WHERE note LIKE '非本卡口通行证 / not valid at this gate (issued for %)';
UPDATE gate_passages SET finding = 'other_gate', finding_detail = substr(note, length('非本卡口通行证 / not valid at this gate (issued for ') + 1), note = ''
 WHERE note LIKE '非本卡口通行证 / not valid at this gate (issued for %';
