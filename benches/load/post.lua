-- wrk: file a complaint through the JSON API on every request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"track":"corruption","category":"bribery","subject":"เรียกรับเงินค่าอนุญาต",' ..
  '"description":"' .. string.rep("ก", 600) .. '","relationship":"witness",' ..
  '"reporter":{"name":"ทดสอบ ภาระงาน","phone":"0812345678"}}'
